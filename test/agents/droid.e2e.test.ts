/**
 * Factory's Droid with its real binary, sandboxed, against a fake Messages API: what holds and
 * what does not (docs/specs/0010-agents.md, Droid). A custom model of the person's
 * (customModels in ~/.factory/settings.json) needs no Factory login, and the run reaches the
 * model with the part's prompt; but inside Ballador's sandbox Droid's shell tool (`Execute`)
 * comes back "terminated by signal: SIGKILL" for `git add … && git commit …` and for `ballador
 * done` (measured three times each), while `echo` and `ls` usually run (once `echo` was killed
 * too); outside the sandbox all of them run. So the agent cannot commit or report done. This file asserts that state: when a Droid
 * release runs commands here, it fails, and the preset can take the full journey
 * (agent-e2e.ts's toReview and retried).
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { closedAfterTest, realCliProject, useRealAgentClis } from "../helpers/agent-e2e.js";
import { DROID } from "../helpers/agents-under-test.js";

useRealAgentClis();

describe("Factory's Droid, real binary, sandboxed, against a fake Messages API", () => {
  it("headless (droid exec): reaches the local model without a Factory login; `ballador done` is killed in the sandbox", async () => {
    const marker = `PART-BODY-droid-${Date.now().toString(36)}`;
    const api = closedAfterTest(
      await DROID.startApi({
        steps: ["echo STEP1-RAN", "ls > /dev/null; echo STEP2-RAN", `ballador done --summary "droid ran"`],
        finalText: "Done.",
      }),
    );
    const p = await realCliProject({ "droid-headless": { preset: "droid-headless", env: DROID.env } });
    await DROID.configure(p, api);
    await p.part("hello-droid", { body: `Say hello. ${marker}`, verify: "true" });
    await p.ok(["queue"]);
    const launched = await p.run(["launch", "--json"]);
    expect(launched.code, launched.stdout + launched.stderr).toBe(0);
    await p.waitState("hello-droid", ["review", "failed", "blocked"], 180_000);
    const task = await p.task("hello-droid");

    // The seeding chose the person's only custom model: the prompt reached the fake.
    expect(DROID.firstPrompt(api)).toContain(marker);
    expect(DROID.firstPrompt(api)).toContain("ballador done");
    // `ballador done` was killed. `echo` and `ls` usually run, but not always: in one of two full
    // test runs the first `echo` was killed too. Each either ran or was killed, nothing else.
    const outputs = DROID.toolOutputs(api);
    expect(outputs.length).toBe(3);
    expect(outputs[0]).toMatch(/STEP1-RAN|SIGKILL/);
    expect(outputs[1]).toMatch(/STEP2-RAN|SIGKILL/);
    expect(outputs[2]).toContain("SIGKILL");
    expect(task.state).toBe("failed");
    expect(task.reason).toContain("without reporting done");
    // Only Factory's own hosts were asked for (its telemetry and backend), all denied.
    const denials = join(await p.runDir("hello-droid"), "denials.jsonl");
    const denied = (existsSync(denials) ? await readFile(denials, "utf8") : "")
      .split("\n")
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as { host: string }).host);
    for (const host of denied) expect(host).toMatch(/(^|\.)factory\.ai$/);
  }, 240_000);
});
