/**
 * Progress on long steps, as a person (or a script) sees it: `merge` re-verifying the merged
 * result for seconds says so on stderr with the elapsed time (a line in a pipe, NDJSON progress
 * objects with --json, stdout still one JSON document); a fast merge and a fast cleanup say
 * nothing of the kind.
 */
import { afterEach, describe, expect, it } from "vitest";
import { cleanupProjects } from "../helpers/runtime.js";
import { makeVerifyProject, writePart } from "../helpers/verification.js";

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
    for (const id of ["fast", "piped", "scripted"]) {
      await writePart(p, id, {
        steps: [{ write: { path: `${id}.txt`, content: `${id}\n` } }, { commit: id }, { done: id }],
      });
    }
    await p.ok(["queue"]);
    await p.ok(["launch"]);
    for (const id of ["fast", "piped", "scripted"])
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

    // Cleaning up three tasks takes well under two seconds: no progress.
    const cleanup = await p.ok(["cleanup", "--all"]);
    expect(cleanup.stderr).not.toMatch(/cleaning up/);
    const cleanupJson = await p.ok(["cleanup", "--all", "--json"]);
    expect(cleanupJson.stderr.trim()).toBe("");
    JSON.parse(cleanupJson.stdout);
  });
});
