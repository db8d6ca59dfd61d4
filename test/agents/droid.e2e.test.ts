/**
 * Factory's Droid with its real binary, sandboxed, against a fake Messages API (docs/specs/
 * 0010-agents.md, Droid). A custom model of the person's (customModels in
 * ~/.factory/settings.json) needs no Factory login. Droid runs each command under a watcher that
 * kills it unless `ps` names Droid as its parent; inside the sandbox /proc counts another PID
 * namespace than its processes see, so until the seeding gave it a `ps` that answers in theirs
 * (~/.factory/bin/ps) every `git commit` and `ballador done` was killed within 0.2 s. Headless
 * only: its TUI stops at "Please login with your Factory account to continue" even with a
 * custom model.
 */
import { describe, it } from "vitest";
import { retried, toReview, useRealAgentClis } from "../helpers/agent-e2e.js";
import { DROID } from "../helpers/agents-under-test.js";

useRealAgentClis();

describe("Factory's Droid, real binary, sandboxed, against a fake Messages API", () => {
  it("headless (droid exec): commits, reports done, reaches review", async () => {
    const r = await toReview(DROID, "droid-headless");
    console.log(`droid-headless: review after ${r.seconds.toFixed(1)} s`);
  }, 240_000);

  // `droid exec --fork <id>` continues a session named by id: Ballador finds the worktree's in
  // the earlier attempt's records (carried into the retry's HOME).
  it("headless retry: continues the conversation (--fork <its session>), the feedback in its prompt", async () => {
    const r = await retried(DROID, "droid-headless", false);
    console.log(`droid-headless retry: review after ${r.seconds.toFixed(1)} s`);
  }, 300_000);
});
