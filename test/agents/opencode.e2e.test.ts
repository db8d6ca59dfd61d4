import { describe, it } from "vitest";
import { retried, toReview, useRealAgentClis } from "../helpers/agent-e2e.js";
import { OPENCODE } from "../helpers/agents-under-test.js";

useRealAgentClis();

describe("OpenCode, real binary, sandboxed, against a fake Messages API", () => {
  it("headless (opencode run --auto): commits, reports done, reaches review", async () => {
    const r = await toReview(OPENCODE, "opencode-headless");
    console.log(`opencode-headless: review after ${r.seconds.toFixed(1)} s`);
  }, 120_000);

  // Its seeded config folder is read-only, so it installs nothing from npm (no host denied):
  // writable, its TUI waited 40-100 s for that denied install before sending the prompt.
  it("interactive (opencode --prompt): starts unattended, reaches review", async () => {
    const r = await toReview(OPENCODE, "opencode");
    console.log(`opencode (interactive): review after ${r.seconds.toFixed(1)} s`);
  }, 120_000);

  it("headless retry continues the conversation (run --continue)", async () => {
    const r = await retried(OPENCODE, "opencode-headless", false);
    console.log(`opencode-headless retry: review after ${r.seconds.toFixed(1)} s`);
  }, 180_000);

  it("interactive retry continues the conversation (resumed headless, with the new prompt)", async () => {
    const r = await retried(OPENCODE, "opencode", true);
    console.log(`opencode retry: review after ${r.seconds.toFixed(1)} s`);
  }, 180_000);
});
