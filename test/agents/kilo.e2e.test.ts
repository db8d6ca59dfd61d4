import { describe, it } from "vitest";
import { retried, toReview, useRealAgentClis } from "../helpers/agent-e2e.js";
import { KILO } from "../helpers/agents-under-test.js";

useRealAgentClis();

describe("Kilo Code's CLI, real binary, sandboxed, against a fake Messages API", () => {
  // An OpenCode fork: its anthropic provider reaches the fake through the person's kilo.json
  // (baseURL); its config folder is read-only in the sandbox, as OpenCode's. It sent its first
  // request 60-80 s after launch on a loaded machine (load 36), hence the longer waits and an
  // idle timeout beyond that silent start for the interactive retry.
  it("headless (kilo run --auto): commits, reports done, reaches review", async () => {
    const r = await toReview(KILO, "kilo-headless", 240_000);
    console.log(`kilo-headless: review after ${r.seconds.toFixed(1)} s`);
  }, 300_000);

  it("interactive (kilo --auto --prompt): starts unattended, reaches review", async () => {
    const r = await toReview(KILO, "kilo", 240_000);
    console.log(`kilo (interactive): review after ${r.seconds.toFixed(1)} s`);
  }, 300_000);

  it("headless retry continues the conversation (run --continue)", async () => {
    const r = await retried(KILO, "kilo-headless", false, 420_000);
    console.log(`kilo-headless retry: review after ${r.seconds.toFixed(1)} s`);
  }, 480_000);

  it("interactive retry continues the conversation (resumed headless, with the new prompt)", async () => {
    const r = await retried({ ...KILO, idleTimeout: "100s" }, "kilo", true, 480_000);
    console.log(`kilo retry: review after ${r.seconds.toFixed(1)} s`);
  }, 540_000);
});
