/**
 * A run's plan is the whole configuration as provisioning read it (issue 30), and the config
 * holds things no agent may read: here a notification webhook, which is a credential. The agent
 * reads its run file (run.json) from inside the sandbox, so the plan must not be in it: it lives
 * in the host-only plan.json, which the sandbox does not let the agent read.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { cleanupSandboxTests, makeSandboxProject, sessionLog, uniqueValue } from "../helpers/sandbox.js";

afterEach(cleanupSandboxTests);

describe("sandbox: a run's plan stays on the host", () => {
  it("an agent that reads its run folder finds no webhook from the config; the supervisor still plans from it", async () => {
    const secret = uniqueValue("hooksecret");
    const webhook = `http://127.0.0.1:9/${secret}`;
    const p = await makeSandboxProject({ config: { notify: { webhook } } });
    await p.part("peek", {
      steps: [
        // Everything of the run folder the agent can open, collected into its worktree.
        {
          run: 'for f in "$BALLADOR_RUN_DIR"/*.json; do echo "== $f"; cat "$f" 2>&1; done > seen.txt; true',
        },
        { run: "git add seen.txt && git commit -q -m seen" },
        { done: "peeked" },
      ],
    });
    await p.ok(["queue"]);
    await p.ok(["launch"]);
    const t = await p.waitState("peek", ["review", "failed"]);
    expect(t.state, await sessionLog(p, "peek")).toBe("review");

    const runDir = await p.runDir("peek");
    const seen = await readFile(join(p.worktree("peek"), "seen.txt"), "utf8");
    // The agent did read its run file (the attack ran), and nothing of the webhook was in reach.
    expect(seen).toContain("run.json");
    expect(seen).toContain('"taskId": "peek"');
    expect(seen).not.toContain(secret);
    // On the host the plan is kept whole, apart from the run file.
    expect(await readFile(join(runDir, "run.json"), "utf8")).not.toContain(secret);
    expect(existsSync(join(runDir, "plan.json"))).toBe(true);
    expect(await readFile(join(runDir, "plan.json"), "utf8")).toContain(secret);
  }, 120_000);
});
