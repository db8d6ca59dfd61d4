/**
 * Task sources (issue 33): writeback at the moment a state changes. A task of a github source
 * goes running -> review -> merged between two syncs; each state reaches the tracker once, in
 * order, sent by the process that made the change (launch, the supervisor, merge); a write the
 * tracker refuses is kept and sent by the next command that sends. A person's abandon is told;
 * the tracker's own (an issue closed upstream) is not told back.
 */
import { afterEach, describe, expect, it } from "vitest";
import { cleanupProjects } from "../helpers/runtime.js";
import { serveIssues, sourceProject } from "../helpers/sources.js";
import type { GhStandIn } from "../helpers/verification.js";

afterEach(cleanupProjects);

/** What reached issue N, in order, as one line each. */
async function told(gh: GhStandIn, n: number): Promise<string[]> {
  return (await gh.writes())
    .filter((w) => w.path.startsWith(`repos/acme/widgets/issues/${n}`))
    .map((w) => {
      const body = w.body as { labels?: string[]; body?: string; state?: string };
      if (w.path.endsWith("/labels")) return `label ${body.labels?.join(",")}`;
      if (w.path.endsWith("/comments")) return `comment ${(body.body ?? "").split("\n")[0]}`;
      if (w.method === "DELETE") return `unlabel ${decodeURIComponent(w.path.split("/labels/")[1] ?? "")}`;
      return `${w.method} ${body.state ?? ""}`;
    });
}

describe("writeback at the moment a state changes", () => {
  it("announces running, review and merged once each, in order, between two syncs; a refused write is sent by the next command", async () => {
    const { p, gh } = await sourceProject();
    await serveIssues(gh, [{ number: 1, title: "Ship it" }]);
    expect((await p.run(["source", "sync", "gh"], { env: gh.env })).code).toBe(0);
    await p.git(["add", "-A"]);
    await p.git(["commit", "-qm", "parts from the tracker"]);
    expect(await told(gh, 1)).toEqual(["label ballador-claim:test-a"]);

    // launch makes it running and says so before it exits; the supervisor says review.
    expect((await p.run(["launch", "gh-1"], { env: gh.env })).code).toBe(0);
    expect(await told(gh, 1)).toContain("label ballador: in progress");
    await p.waitState("gh-1", "review");
    await expect
      .poll(() => told(gh, 1), { timeout: 30_000, interval: 300 })
      .toContain("label ballador: in review");
    await expect
      .poll(async () => (await told(gh, 1)).filter((t) => t.startsWith("comment")), {
        timeout: 30_000,
        interval: 300,
      })
      .toEqual(["comment Ballador (test-a): task gh-1 is ready for review."]);

    // The tracker refuses merge's write (its comment): merge still merges, and keeps the write.
    await gh.failWrites(2);
    const merged = await p.run(["merge", "gh-1", "--unverified"], { env: gh.env });
    expect(merged.code, merged.stderr).toBe(0);
    expect((await p.task("gh-1")).state).toBe("merged");
    expect(merged.stderr).toContain("not told yet (retried later): gh-1 merged");
    expect((await told(gh, 1)).filter((t) => t.includes("merged"))).toEqual([]);
    // The next command that sends (here a person's retry of another write, a sync) sends it once.
    expect((await p.run(["source", "sync", "gh"], { env: gh.env })).code).toBe(0);
    expect((await p.run(["source", "sync", "gh"], { env: gh.env })).code).toBe(0);
    expect(await told(gh, 1)).toEqual([
      "label ballador-claim:test-a",
      "label ballador: in progress",
      "label ballador: in review",
      "unlabel ballador: in progress",
      "comment Ballador (test-a): task gh-1 is ready for review.",
      "unlabel ballador: in review",
      "PATCH closed",
      "comment Ballador (test-a): task gh-1 is merged.",
    ]);
    const notes = (await p.show("gh-1")).notes.map((n) => n.text).filter((t) => t.startsWith("source gh:"));
    expect(notes).toEqual([
      "source gh: told issue #1: claimed",
      "source gh: told issue #1: running",
      "source gh: told issue #1: review",
      "source gh: told issue #1: merged (closed)",
    ]);
  });

  it("tells a person's abandon with its cause, and not an abandon the tracker caused", async () => {
    const { p, gh } = await sourceProject();
    await serveIssues(gh, [
      { number: 1, title: "Dropped here" },
      { number: 2, title: "Closed there" },
    ]);
    expect((await p.run(["source", "sync", "gh"], { env: gh.env })).code).toBe(0);
    await p.git(["add", "-A"]);
    await p.git(["commit", "-qm", "parts"]);
    expect((await p.run(["abandon", "gh-1"], { env: gh.env })).code).toBe(0);
    expect((await told(gh, 1)).filter((t) => t.startsWith("comment"))).toEqual([
      "comment Ballador (test-a): task gh-1 is abandoned: abandoned by a person",
    ]);
    await serveIssues(gh, [{ number: 1, title: "Dropped here" }]);
    await gh.serve("repos/acme/widgets/issues/2", { number: 2, title: "Closed there", state: "closed" });
    expect((await p.run(["source", "sync", "gh"], { env: gh.env })).code).toBe(0);
    expect((await p.task("gh-2")).state).toBe("abandoned");
    expect(await told(gh, 2)).toEqual(["label ballador-claim:test-a"]);
  });
});
