/**
 * How a run ends, as recorded in the store: the agent's reports (done, blocked, note), the
 * verify gate, an agent that just exits, and the `done` refusal of uncommitted work.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { makeTempDir } from "../helpers/cli.js";
import { cleanupProjects, commitAndDone, fileContains, gate, makeProject } from "../helpers/runtime.js";

afterEach(cleanupProjects);

describe("run outcomes", () => {
  it("done + passing verify -> review; failing verify -> failed (verify:); exit without report -> failed (agent:); blocked -> blocked; too long -> failed (timeout:); notes kept", async () => {
    const p = await makeProject({
      files: { ".gitignore": "generated.txt\n" },
      config: {
        agents: {
          default: "scripted",
          profiles: {
            scripted: { preset: "scripted" },
            impatient: { preset: "scripted", timeout: "1500ms" },
          },
        },
      },
    });
    await p.part("passes", {
      verify: "test -f ok.txt",
      steps: [{ note: "chose a plain text file: nothing reads it yet" }, ...commitAndDone("ok.txt")],
    });
    // Passes in the agent's worktree (where the ignored file exists), fails on the clean
    // checkout Ballador verifies on: the gate the agent cannot talk its way past.
    await p.part("fails-verify", {
      verify: "test -f generated.txt || { echo verify-said-no; exit 3; }",
      steps: [{ write: { path: "generated.txt", content: "only here\n" } }, ...commitAndDone("nope.txt")],
    });
    await p.part("just-exits", { steps: [{ write: { path: "half.txt", content: "half\n" } }, { exit: 4 }] });
    await p.part("gets-blocked", { steps: [{ blocked: "needs the STRIPE_KEY secret" }] });
    await p.part("too-slow", {
      agent: "impatient",
      steps: [gate(p, "never-opened"), ...commitAndDone("s.txt")],
    });
    await p.ok(["queue"]);
    await p.ok(["launch"]);

    await p.reaches("passes", "review");
    expect((await p.git(["log", "-1", "--format=%s", "ballador/passes"])).trim()).toBe("add ok.txt");
    const shown = await p.show("passes");
    expect(shown.notes.map((n) => [n.kind, n.text])).toEqual([
      ["note", "chose a plain text file: nothing reads it yet"],
      ["summary", "wrote ok.txt"],
    ]);
    expect(shown.runs[0]?.outcome).toBe("done");

    const fv = await p.reaches("fails-verify", "failed");
    expect(fv.reason).toMatch(/^verify: /);
    expect(fv.reason).toContain("exited 3");
    // status: the state stays a word; the reason goes last, one line of at most 60 columns.
    const statusLines = (await p.ok(["status"])).stdout.split("\n");
    const header = statusLines.find((l) => l.startsWith("ID"))!;
    const row = statusLines.find((l) => l.startsWith("fails-verify"))!;
    expect(header).toMatch(/STATE\s+AGENT\s+ATT\s+AGE\s+BRANCH\s+WHY$/);
    // The part sets its own verify (not the project's), which status flags beside the state word.
    expect(row.slice(header.indexOf("STATE"), header.indexOf("AGENT")).trim()).toBe("failed [own verify]");
    expect(row.slice(header.indexOf("WHY")).length).toBeLessThanOrEqual(60);
    expect(row.slice(header.indexOf("WHY"))).toMatch(/^verify: /);
    const fvRun = (await p.show("fails-verify")).runs[0]!;
    expect(await fileContains(join(fvRun.runDir, "verify.log"), "verify-said-no")).toBe(true);

    const je = await p.reaches("just-exits", "failed");
    expect(je.reason).toMatch(/^agent:/);
    expect(je.reason).toContain("4");

    const gb = await p.reaches("gets-blocked", "blocked");
    expect(gb.reason).toBe("needs the STRIPE_KEY secret");

    const ts = await p.reaches("too-slow", "failed");
    expect(ts.reason).toMatch(/^timeout: /);

    // Every run ended; nothing left behind in tmux.
    await waitNoSessions(p.sessions);
    expect((await p.status()).disagreements).toEqual([]);
  });
});

describe("done and uncommitted work", () => {
  it("refuses done while a file is uncommitted (naming it), accepts it after a commit, and accepts --allow-dirty", async () => {
    const p = await makeProject();
    await p.part("careless", {
      steps: [
        { write: { path: "forgotten.txt", content: "not committed\n" } },
        { done: { summary: "too early" }, allow_fail: true },
        { commit: "add forgotten.txt" },
        { done: { summary: "now committed" } },
      ],
    });
    await p.part("dirty-on-purpose", {
      steps: [
        { write: { path: "scratch.txt", content: "left dirty\n" } },
        { ballador: ["done", "--allow-dirty", "--summary", "scratch left on purpose"] },
      ],
    });
    await p.ok(["queue"]);
    await p.ok(["launch"]);

    await p.reaches("careless", "review");
    const careless = await p.show("careless");
    // Only the second done counted; the refusal named the file in the session.
    expect(careless.notes.filter((n) => n.kind === "summary").map((n) => n.text)).toEqual(["now committed"]);
    const log = await p.run(["logs", "careless"]);
    expect(log.stdout).toMatch(/refused: 1 uncommitted change/);
    expect(log.stdout).toContain("forgotten.txt");
    expect((await p.git(["log", "-1", "--format=%s", "ballador/careless"])).trim()).toBe("add forgotten.txt");

    await p.reaches("dirty-on-purpose", "review");
    expect(existsSync(join(p.worktree("dirty-on-purpose"), "scratch.txt"))).toBe(true);
  });

  it("`ballador done` outside any run exits non-zero with a clear message", async () => {
    const p = await makeProject();
    const inRepo = await p.run(["done"]);
    expect(inRepo.code).not.toBe(0);
    expect(inRepo.stderr).toContain("not inside a Ballador run");

    const elsewhere = await p.run(["done", "--summary", "x"], { cwd: await makeTempDir() });
    expect(elsewhere.code).not.toBe(0);
    expect(elsewhere.stderr).toContain("not inside a Ballador run");
    const blocked = await p.run(["blocked", "why"]);
    expect(blocked.code).not.toBe(0);
    expect(blocked.stderr).toContain("not inside a Ballador run");
  });
});

async function waitNoSessions(sessions: () => Promise<string[]>): Promise<void> {
  const end = Date.now() + 10_000;
  let last: string[] = [];
  while (Date.now() < end) {
    last = await sessions();
    if (last.length === 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`sessions still open: ${last.join(", ")}`);
}
