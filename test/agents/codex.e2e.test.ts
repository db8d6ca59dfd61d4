import { describe, expect, it } from "vitest";
import { retried, toReview, useRealAgentClis } from "../helpers/agent-e2e.js";
import { CODEX } from "../helpers/agents-under-test.js";

useRealAgentClis();

describe("Codex, real binary, sandboxed, against a fake Responses API", () => {
  it("headless (codex exec): commits, reports done through the shim, reaches review", async () => {
    const r = await toReview(CODEX, "codex-headless");
    console.log(`codex-headless: review after ${r.seconds.toFixed(1)} s`);
  }, 120_000);

  it("interactive (codex --no-daemon): starts past sign-in, reaches review", async () => {
    const r = await toReview(CODEX, "codex");
    console.log(`codex (interactive): review after ${r.seconds.toFixed(1)} s`);
  }, 120_000);

  it("headless retry continues the conversation (codex exec resume --last)", async () => {
    const r = await retried(CODEX, "codex-headless", false);
    console.log(`codex-headless retry: review after ${r.seconds.toFixed(1)} s`);
  }, 180_000);

  it("interactive retry continues the conversation (codex resume --last --no-daemon)", async () => {
    const r = await retried(CODEX, "codex", true);
    console.log(`codex retry: review after ${r.seconds.toFixed(1)} s`);
    expect(r.id).toBe("retry-codex");
  }, 180_000);
});
