/**
 * Progress on long steps, as a person (or a script) sees it: `merge` re-verifying the merged
 * result for seconds says so on stderr with the elapsed time (a line in a pipe, NDJSON progress
 * objects with --json, stdout still one JSON document); so do `launch` waiting for slow
 * sessions to start and `sync` reading a slow forge; a fast merge and a fast cleanup say
 * nothing of the kind.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { cleanupProjects, commitAndDone } from "../helpers/runtime.js";
import { addBareRemote, ghStandIn, makeVerifyProject, writePart } from "../helpers/verification.js";

afterEach(cleanupProjects);

/** The project's tests: slow (3 s) once slow.txt is on the base, fast before. */
const SLOW_VERIFY = `#!/bin/sh
if [ -f slow.txt ]; then sleep 3; fi
echo "verify: all good"
`;

const PROGRESS_LINE = /verifying the merged result: \.\/verify\.sh \(\d+ s\)/;

describe("progress on merge's re-verification", () => {
  it("a slow verify shows progress on stderr (a line in a pipe, NDJSON with --json); a fast merge and cleanup show none", async () => {
    const p = await makeVerifyProject({ files: { "verify.sh": SLOW_VERIFY } });
    for (const id of ["fast", "piped", "scripted", "updated"]) {
      await writePart(p, id, {
        steps: [{ write: { path: `${id}.txt`, content: `${id}\n` } }, { commit: id }, { done: id }],
      });
    }
    await p.ok(["queue"]);
    await p.ok(["launch"]);
    for (const id of ["fast", "piped", "scripted", "updated"])
      expect((await p.waitState(id, ["review", "failed"])).state).toBe("review");
    await p.commitAll("parts");

    // Under two seconds: nothing but the command's own words.
    const fast = await p.ok(["merge", "fast"]);
    expect(fast.stderr).not.toMatch(PROGRESS_LINE);
    expect(fast.stdout).not.toMatch(PROGRESS_LINE);

    // The base now makes the verify slow; each merge is a real merge, verified again.
    await p.write("slow.txt", "slow\n");
    await p.commitAll("the tests got slow");

    const piped = await p.ok(["merge", "piped"]);
    expect(piped.stderr).toMatch(PROGRESS_LINE);
    expect(piped.stdout).toContain("Merged piped into main");

    const scripted = await p.ok(["merge", "scripted", "--json"]);
    // stdout is still one JSON document: the result, unchanged.
    expect(JSON.parse(scripted.stdout)).toMatchObject({ task: "scripted", verified: true });
    const events = scripted.stderr
      .trim()
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { progress: string; message: string; elapsedMs: number; done?: boolean });
    expect(events[0]).toMatchObject({
      progress: "merge.verify",
      message: "verifying the merged result: ./verify.sh",
    });
    expect(events[0]?.elapsedMs).toBeGreaterThanOrEqual(2000);
    expect(events.at(-1)).toMatchObject({ progress: "merge.verify", done: true });

    // update verifies the updated branch: the same progress, as update.verify.
    const updated = await p.ok(["update", "updated", "--json"]);
    expect(JSON.parse(updated.stdout)).toMatchObject({ outcome: "updated" });
    expect(updated.stderr).toContain('"progress":"update.verify"');
    expect(updated.stderr).toContain('"message":"verifying the updated branch: ./verify.sh"');

    // Cleaning up three tasks takes well under two seconds: no progress.
    const cleanup = await p.ok(["cleanup", "--all"]);
    expect(cleanup.stderr).not.toMatch(/cleaning up/);
    const cleanupJson = await p.ok(["cleanup", "--all", "--json"]);
    expect(cleanupJson.stderr.trim()).toBe("");
    JSON.parse(cleanupJson.stdout);
  });
});

/** stderr's NDJSON progress objects (--json). */
function progressEvents(stderr: string): Array<{ progress: string; message: string; elapsedMs: number }> {
  return stderr
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as { progress: string; message: string; elapsedMs: number });
}

describe("progress on launch and sync", () => {
  it("launch waiting for sessions whose bootstrap is slow, and sync reading a slow forge, show progress", async () => {
    const p = await makeVerifyProject({ config: { bootstrap: ["sleep 3"] } });
    await writePart(p, "one", { steps: commitAndDone("one.txt") });
    await writePart(p, "two", { steps: commitAndDone("two.txt") });
    await p.commitAll("parts");
    await p.ok(["queue"]);

    const piped = await p.ok(["launch", "one"]);
    expect(piped.stderr).toMatch(/waiting for 1 of 1 agent session\(s\) to start \(\d+ s\)/);
    const scripted = await p.ok(["launch", "two", "--json"]);
    expect(JSON.parse(scripted.stdout)).toMatchObject({ started: [{ id: "two" }] });
    expect(progressEvents(scripted.stderr)[0]).toMatchObject({ progress: "launch.wait" });

    for (const id of ["one", "two"])
      expect((await p.waitState(id, ["review", "failed"])).state).toBe("review");
    await addBareRemote(p);
    await p.git(["push", "-q", "origin", "main"]);
    const gh = await ghStandIn(p);
    const opened = await p.run(["pr", "one", "--json"], { env: gh.env });
    expect(opened.code, opened.stderr).toBe(0);
    // The forge answers slowly from now on.
    const script = join(gh.binDir, "gh");
    const text = await readFile(script, "utf8");
    await writeFile(script, text.replace("#!/bin/sh\n", '#!/bin/sh\n[ "$1" = api ] && sleep 3\n'));
    const sync = await p.run(["sync"], { env: gh.env });
    expect(sync.stderr).toMatch(/reading pull requests on the forge: \d of 1 \(\d+ s\)/);
    const syncJson = await p.run(["sync", "--json"], { env: gh.env });
    JSON.parse(syncJson.stdout);
    expect(progressEvents(syncJson.stderr)[0]).toMatchObject({ progress: "sync" });
  });
});
