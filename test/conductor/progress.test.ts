/**
 * `plan` and `spec draft` run the conductor for seconds to minutes: while it works, the person
 * sees what it is doing and for how long (a line in a pipe, NDJSON progress objects on stderr
 * with --json, stdout still one JSON document). The conductor here is a slow shell in the
 * sandbox that writes nothing.
 */
import { afterEach, describe, expect, it } from "vitest";
import { cleanupSandboxTests, makeSandboxProject } from "../helpers/sandbox.js";

afterEach(cleanupSandboxTests);

describe("conductor progress", () => {
  it("plan in a pipe and spec draft with --json show the conductor working, with the attempt and elapsed time", async () => {
    const p = await makeSandboxProject({
      config: {
        conductor: "slow",
        agents: { profiles: { slow: { command: ["sh", "-c", "sleep 3"], prompt: "stdin" } } },
      },
    });
    await p.ok(["spec", "new", "Greeter"]);

    const plan = await p.run(["plan", "1", "--attempts", "1"]);
    expect(plan.stderr).toMatch(/conductor planning \S+, attempt 1\/1 \(\d+ s\)/);

    const draft = await p.run([
      "spec",
      "draft",
      "Farewell",
      "--context",
      "say goodbye",
      "--attempts",
      "1",
      "--json",
    ]);
    JSON.parse(draft.stdout);
    const events = draft.stderr
      .trim()
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as { progress: string; message: string; elapsedMs: number });
    expect(events[0]).toMatchObject({ progress: "spec.draft" });
    expect(events[0]?.message).toMatch(/^conductor drafting \S+, attempt 1\/1$/);
    expect(events[0]?.elapsedMs).toBeGreaterThanOrEqual(2000);
  });
});
