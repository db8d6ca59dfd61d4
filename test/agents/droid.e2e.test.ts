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

  // `droid exec -s <id>` continues only a session named by id: each attempt is a new
  // conversation whose prompt says what failed.
  it("headless retry: a new conversation whose prompt carries the feedback", async () => {
    const r = await retried(DROID, "droid-headless", false);
    console.log(`droid-headless retry: review after ${r.seconds.toFixed(1)} s`);
  }, 300_000);
});
