/**
 * Notifications (issue 15): while `launch --watch` conducts, events reach a command (the
 * events as JSON on stdin) and a webhook served on loopback (POSTed by Ballador's own process),
 * coalesced: tasks that finish together are one message, not one each.
 */
import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { cleanupProjects, commitAndDone, gate, makeProject, waitFor } from "../helpers/runtime.js";

const servers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((close) => close()));
  await cleanupProjects();
});

interface Message {
  source: string;
  text: string;
  events: Array<{ event: string; task: string | null; detail: string | null }>;
}

async function webhook(): Promise<{ url: string; bodies: Message[] }> {
  const bodies: Message[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (d) => {
      body += d;
    });
    req.on("end", () => {
      if (req.method === "POST") bodies.push(JSON.parse(body) as Message);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  servers.push(() => new Promise((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, bodies };
}

/** A part whose agent's hook says it waits ("Which port should I use?") until gate "answered" opens. */
async function askingPart(p: Awaited<ReturnType<typeof makeProject>>): Promise<void> {
  const asked = JSON.stringify({ hook_event_name: "Notification", message: "Which port should I use?" });
  await p.part("asks", {
    steps: [
      { write: { path: "n.json", content: asked } },
      { run: "ballador hook < n.json && rm n.json" },
      gate(p, "answered"),
      ...commitAndDone("asks.txt"),
    ],
  });
}

/** Two parts that edit the same line of shared.txt: their branches conflict. */
async function conflictingSides(p: Awaited<ReturnType<typeof makeProject>>): Promise<void> {
  for (const side of ["left", "right"])
    await p.part(side, {
      steps: [
        { edit: { path: "shared.txt", find: "two", replace: `two (${side})` } },
        { commit: `${side}'s line` },
        { done: side },
      ],
    });
}

/**
 * Adds a notify section to the project's config and commits it: no bell or desktop, a command
 * that writes each message to notified.jsonl (appending, or `>` for the last one only), and the
 * options given. Returns the file's path.
 */
async function notifyTo(
  p: Awaited<ReturnType<typeof makeProject>>,
  o: { write?: ">" | ">>"; webhook?: string; coalesce: string; events?: string[] },
): Promise<string> {
  const out = join(p.parent, "notified.jsonl");
  const lines = [
    "notify:",
    "  bell: false",
    "  desktop: false",
    `  command: "cat ${o.write ?? ">>"} '${out}'"`,
  ];
  if (o.webhook) lines.push(`  webhook: "${o.webhook}"`);
  lines.push(`  coalesce: ${o.coalesce}`);
  if (o.events) lines.push(`  events: [${o.events.join(", ")}]`);
  const config = readFileSync(join(p.dir, ".ballador/config.yaml"), "utf8");
  await p.write(".ballador/config.yaml", `${config}${lines.join("\n")}\n`);
  await p.git(["commit", "-qam", "notify"]);
  return out;
}

describe("notify", () => {
  it("three tasks finishing together reach the command and the webhook as one message each", async () => {
    const hook = await webhook();
    const p = await makeProject({ config: {} });
    const out = await notifyTo(p, { webhook: hook.url, coalesce: "6s" });
    for (const id of ["a", "b", "c"])
      await p.part(id, { steps: [gate(p, "go"), ...commitAndDone(`${id}.txt`)] });
    await p.ok(["queue"]);
    const watch = p.spawn(["launch", "--watch"]);
    await waitFor(async () => {
      const s = await p.status();
      return s.tasks.every((t) => t.state === "running") ? true : undefined;
    }, "all three running");
    await p.open("go");
    expect(await watch.exited, watch.output()).toBe(0);

    const lines = existsSync(out) ? readFileSync(out, "utf8").split("\n").filter(Boolean) : [];
    expect(lines, watch.output()).toHaveLength(1);
    const doc = JSON.parse(lines[0] as string) as Message;
    expect(doc.source).toBe("ballador");
    expect(
      doc.events
        .filter((e) => e.event === "review")
        .map((e) => e.task)
        .sort(),
    ).toEqual(["a", "b", "c"]);
    expect(doc.events.map((e) => e.event)).toContain("all_done");
    expect(doc.text).toContain("a: ready for review");
    // The webhook got the same one message, from Ballador's process.
    await waitFor(async () => (hook.bodies.length > 0 ? true : undefined), "the webhook's POST");
    expect(hook.bodies).toHaveLength(1);
    expect(hook.bodies[0]?.events).toEqual(doc.events);
  }, 120_000);

  it("a failed task is an event; a webhook that cannot be reached is said, and conducting goes on", async () => {
    const p = await makeProject();
    const out = await notifyTo(p, { write: ">", webhook: "http://127.0.0.1:9/nobody", coalesce: "500ms" });
    await p.part("bad", { steps: [{ exit: 3 }] });
    await p.ok(["queue"]);
    const watch = p.spawn(["launch", "--watch"], {});
    expect(await watch.exited).toBe(0);
    expect(watch.output()).toMatch(/notify: webhook: .*ECONNREFUSED/);
    expect((await p.task("bad")).state).toBe("failed");
    const doc = JSON.parse(readFileSync(out, "utf8")) as Message;
    expect(doc.events).toEqual([expect.objectContaining({ event: "failed", task: "bad" })]);
    expect(doc.events[0]?.detail).toContain("exited with code 3");
  }, 60_000);

  it("an agent that needs you is an event with what it asked, while the run goes on", async () => {
    const p = await makeProject({ config: { needs_you: { quiet: "1m", nudge_after: "0s" } } });
    const out = await notifyTo(p, { coalesce: "200ms", events: ["needs_you"] });
    await askingPart(p);
    await p.ok(["queue"]);
    const watch = p.spawn(["launch", "--watch"]);
    const doc = await waitFor(async () => {
      const line = existsSync(out) ? readFileSync(out, "utf8").split("\n").find(Boolean) : undefined;
      return line ? (JSON.parse(line) as Message) : undefined;
    }, "the needs-you notification");
    expect(doc.events).toEqual([
      expect.objectContaining({ event: "needs_you", task: "asks", detail: "Which port should I use?" }),
    ]);
    expect((await p.task("asks")).state).toBe("running");
    await p.open("answered");
    expect(await watch.exited, watch.output()).toBe(0);
    // Only needs_you was asked for: review and all_done sent nothing more.
    expect(readFileSync(out, "utf8").split("\n").filter(Boolean)).toHaveLength(1);
  }, 60_000);

  it("without launch --watch the supervisors send: three tasks finishing together are one message, a failure another, none twice", async () => {
    const hook = await webhook();
    const p = await makeProject();
    const out = await notifyTo(p, { webhook: hook.url, coalesce: "3s" });
    for (const id of ["a", "b", "c"])
      await p.part(id, { steps: [gate(p, "go"), ...commitAndDone(`${id}.txt`)] });
    await p.part("bad", { steps: [gate(p, "later"), { exit: 3 }] });
    await p.ok(["queue"]);
    await p.ok(["launch"]);
    await waitFor(async () => {
      const s = await p.status();
      return s.tasks.every((t) => t.state === "running") ? true : undefined;
    }, "all four running");
    await p.open("go");
    for (const id of ["a", "b", "c"]) await p.reaches(id, "review");
    const read = () =>
      (existsSync(out) ? readFileSync(out, "utf8").split("\n").filter(Boolean) : []).map(
        (l) => JSON.parse(l) as Message,
      );
    const first = await waitFor(async () => read()[0], "the supervisors' message");
    expect(first.events.map((e) => [e.event, e.task]).sort()).toEqual([
      ["review", "a"],
      ["review", "b"],
      ["review", "c"],
    ]);
    // Later, alone: its own message.
    await p.open("later");
    await p.reaches("bad", "failed");
    const second = await waitFor(async () => read()[1], "the failure's message");
    expect(second.events).toEqual([expect.objectContaining({ event: "failed", task: "bad" })]);
    await waitFor(async () => (hook.bodies.length >= 2 ? true : undefined), "the webhook's POSTs");
    // Nothing more comes, and no all_done: that is the watcher's.
    await new Promise((r) => setTimeout(r, 4000));
    expect(read()).toHaveLength(2);
    expect(hook.bodies.map((b) => b.events.length)).toEqual([3, 1]);
    // A watcher started now sees them all settled: it sends what it alone knows (all done), never
    // the events the supervisors sent.
    const watch = p.spawn(["launch", "--watch"]);
    expect(await watch.exited, watch.output()).toBe(0);
    await new Promise((r) => setTimeout(r, 3500));
    expect(
      read()
        .slice(2)
        .flatMap((m) => m.events.map((e) => e.event)),
    ).not.toContain("review");
  }, 120_000);

  it("a textual conflict between two branches in review is a conflict_predicted event, once", async () => {
    const p = await makeProject({ files: { "shared.txt": "one\ntwo\nthree\n" } });
    const out = await notifyTo(p, { coalesce: "300ms", events: ["conflict_predicted"] });
    await conflictingSides(p);
    await p.ok(["queue"]);
    const watch = p.spawn(["launch", "--watch"]);
    expect(await watch.exited, watch.output()).toBe(0);
    const lines = existsSync(out) ? readFileSync(out, "utf8").split("\n").filter(Boolean) : [];
    const events = lines.flatMap((l) => (JSON.parse(l) as Message).events);
    expect(events, watch.output()).toHaveLength(1);
    expect(events[0]?.event).toBe("conflict_predicted");
    expect(events[0]?.detail).toContain("shared.txt");
    expect(["left", "right"]).toContain(events[0]?.task);
  }, 60_000);

  it("without launch --watch a supervisor sends needs_you and a predicted conflict itself, each once", async () => {
    const p = await makeProject({
      files: { "shared.txt": "one\ntwo\nthree\n" },
      config: { needs_you: { quiet: "1m", nudge_after: "0s" } },
    });
    const out = await notifyTo(p, { coalesce: "300ms", events: ["needs_you", "conflict_predicted"] });
    await askingPart(p);
    await conflictingSides(p);
    await p.ok(["queue"]);
    await p.ok(["launch"]);
    const events = () =>
      (existsSync(out) ? readFileSync(out, "utf8").split("\n").filter(Boolean) : []).flatMap(
        (l) => (JSON.parse(l) as Message).events,
      );
    await p.reaches("left", "review");
    await p.reaches("right", "review");
    await waitFor(
      async () => (events().some((e) => e.event === "conflict_predicted") ? true : undefined),
      "the supervisors' conflict_predicted",
    );
    await waitFor(
      async () => (events().some((e) => e.event === "needs_you") ? true : undefined),
      "the supervisor's needs_you",
    );
    expect((await p.task("asks")).state).toBe("running");
    await p.open("answered");
    await p.reaches("asks", "review");
    // The sender waits out its window before it sends: give a duplicate the time to show.
    await new Promise((r) => setTimeout(r, 1500));
    const sent = events();
    expect(sent.filter((e) => e.event === "needs_you")).toEqual([
      expect.objectContaining({ task: "asks", detail: "Which port should I use?" }),
    ]);
    const conflicts = sent.filter((e) => e.event === "conflict_predicted");
    expect(conflicts, JSON.stringify(sent)).toHaveLength(1);
    expect(conflicts[0]?.detail).toContain("shared.txt");
    // Only those two kinds were asked for: no review events.
    expect(sent.map((e) => e.event).sort()).toEqual(["conflict_predicted", "needs_you"]);
    // A watcher started now sends neither again.
    const watch = p.spawn(["launch", "--watch"]);
    expect(await watch.exited, watch.output()).toBe(0);
    await new Promise((r) => setTimeout(r, 800));
    expect(events()).toHaveLength(2);
  }, 90_000);
});
