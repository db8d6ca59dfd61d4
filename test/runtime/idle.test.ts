/**
 * An agent that goes quiet without reporting (an interactive agent that ended its turn without
 * `ballador done`) is stopped after idle_timeout and retried with that said; its last attempt
 * fails with the reason. An agent that keeps printing is not idle.
 */
import { afterEach, describe, expect, it } from "vitest";
import { cleanupProjects, commitAndDone, gate, makeProject } from "../helpers/runtime.js";

afterEach(cleanupProjects);

describe("idle runs", () => {
  it("a silent run is stopped after idle_timeout and retried with feedback; a talkative one is not", async () => {
    const p = await makeProject({ config: { idle_timeout: "2s", max_attempts: 2 } });
    await p.part("goes-quiet", { steps: [{ print: "thinking" }, gate(p, "never-opened")] });
    await p.part("keeps-talking", {
      steps: [
        ...Array.from({ length: 6 }, () => [{ print: "still working" }, { sleep: 700 }]).flat(),
        ...commitAndDone("talk.txt"),
      ],
    });
    await p.ok(["queue"]);
    await p.ok(["launch"]);
    const quiet = await p.reaches("goes-quiet", "failed");
    expect(quiet.reason).toMatch(/^timeout: idle for/);
    const runs = (await p.show("goes-quiet")).runs;
    expect(runs.map((r) => r.outcome)).toEqual(["idle", "idle"]);
    await p.reaches("keeps-talking", "review");
  });
});
