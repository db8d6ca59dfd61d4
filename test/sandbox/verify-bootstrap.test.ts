/**
 * Verify, bootstrap and hooks execute code from the task's branch, so they run inside the run's
 * sandbox too: what they try to write outside the worktree fails, and the task says so.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { commitAndDone } from "../helpers/runtime.js";
import { cleanupSandboxTests, launchToReview, makeSandboxProject, sessionLog } from "../helpers/sandbox.js";

afterEach(cleanupSandboxTests);

describe("sandbox: verify, bootstrap and hooks", () => {
  it("a verify command that writes outside the worktree fails: the task fails with reason verify:", async () => {
    const p = await makeSandboxProject();
    const outside = join(p.parent, "verify-escaped.txt");
    await p.part("bad-verify", {
      // `ballador done` runs verify in the worktree first (the agent's own sandbox): there it
      // passes, so the agent can report. Ballador's verification (elsewhere: a clean checkout)
      // writes where it was started, which works, then outside, which must not.
      verify: `[ "$(pwd -P)" = "$BALLADOR_WORKTREE" ] || { touch verify-was-here && touch '${outside}'; }`,
      steps: commitAndDone("work.txt"),
    });
    await p.ok(["queue"]);
    await p.ok(["launch"]);
    const t = await p.waitState("bad-verify", ["review", "failed"]);
    expect(t.state, await sessionLog(p, "bad-verify")).toBe("failed");
    expect(t.reason).toMatch(/^verify: /);
    expect(existsSync(outside)).toBe(false);
    const verifyLog = await readFile(join(await p.runDir("bad-verify"), "verify.log"), "utf8");
    // The first touch worked, so it is the sandbox, not a broken command, that stopped the second.
    expect(verifyLog).toMatch(/Read-only file system/);
    expect(verifyLog).not.toMatch(/verify-was-here.*(Read-only|denied)/);
  });

  it("a verify command that stays inside passes in the sandbox and cannot reach the network", async () => {
    const p = await makeSandboxProject();
    await p.part("good-verify", {
      verify: `test -f work.txt && ! node -e 'require("net").connect(80, "1.1.1.1").on("connect", () => process.exit(0)).on("error", () => process.exit(1))'`,
      steps: commitAndDone("work.txt"),
    });
    await launchToReview(p, "good-verify");
    expect(await sessionLog(p, "good-verify")).toContain("(in the sandbox)");
  });

  it("bootstrap runs in the sandbox: writing outside fails the launch truthfully, nothing left behind", async () => {
    const p = await makeSandboxProject();
    const outside = join(p.parent, "bootstrap-escaped.txt");
    await p.write(
      ".ballador/config.yaml",
      (await readFile(join(p.dir, ".ballador", "config.yaml"), "utf8")) +
        `bootstrap:\n  - touch bootstrap-was-here\n  - touch '${outside}'\n`,
    );
    await p.git(["commit", "-q", "-am", "bootstrap"]);
    await p.part("boot", { steps: commitAndDone("work.txt") });
    await p.ok(["queue"]);
    const l = await p.run(["launch", "--json"]);
    const result = JSON.parse(l.stdout) as {
      started: unknown[];
      failed: Array<{ id: string; reason: string }>;
    };
    expect(result.started).toEqual([]);
    expect(result.failed.map((f) => f.id)).toEqual(["boot"]);
    expect(result.failed[0]?.reason).toContain(`bootstrap "touch '${outside}'" failed`);
    expect(result.failed[0]?.reason).toMatch(/Read-only file system/);
    const t = await p.task("boot");
    expect(t.state).toBe("failed");
    expect(t.reason).toMatch(/^launch: bootstrap/);
    expect(existsSync(outside)).toBe(false);
    expect(await p.sessions()).toEqual([]);
  });

  it("hooks run in the sandbox too: before_launch writing outside fails the launch", async () => {
    const p = await makeSandboxProject();
    const outside = join(p.parent, "hook-escaped.txt");
    await p.write(
      ".ballador/config.yaml",
      (await readFile(join(p.dir, ".ballador", "config.yaml"), "utf8")) +
        `hooks:\n  before_launch: "touch '${outside}'"\n`,
    );
    await p.git(["commit", "-q", "-am", "hook"]);
    await p.part("hooked", { steps: commitAndDone("work.txt") });
    await p.ok(["queue"]);
    await p.run(["launch"]);
    const t = await p.task("hooked");
    expect(t.state).toBe("failed");
    expect(t.reason).toMatch(/^launch: before_launch/);
    expect(existsSync(outside)).toBe(false);
  });
});
