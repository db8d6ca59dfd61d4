/**
 * A remote run's start (spec 0013, "Speed"): its three Node processes load only what they use.
 * `__runner-serve run` (the runner's side) and `__runner-serve relay` (home's session) come in
 * through bin/ballador.js's short path, without commander and the command tree; the relay loads
 * the masking's code (and the sandbox runtime's proxy) only for a profile with secrets; a
 * supervisor's start loads no zod (the runner's secrets records and the run protocol's schemas
 * load only on a runner that wrote them). Every module is recorded from inside the real process.
 */
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { BIN, cleanEnv, cleanupTempDirs, makeTempDir, PACKAGE_ROOT, runProgram } from "../helpers/cli.js";
import { loadRecorder, loadsIn, moduleLoads, packageLoads } from "../helpers/module-loads.js";

afterEach(cleanupTempDirs);

async function loadsOf(dir: string, name: string, args: string[], input?: string) {
  const log = join(dir, `${name}.log`);
  const env = cleanEnv(dir, await loadRecorder(dir, log));
  const r = await runProgram(process.execPath, args, {
    cwd: dir,
    env,
    ...(input !== undefined ? { input } : {}),
    timeoutMs: 60_000,
  });
  return { r, loads: await loadsIn(log) };
}

describe("a remote run's start-up processes", () => {
  it("the runner's serve and home's relay skip the command tree; the relay skips the masking", async () => {
    const dir = await makeTempDir();
    // The control: the command tree's own path loads commander.
    const tree = await loadsOf(dir, "tree", [BIN, "__runner-serve", "--help"]);
    expect(tree.r.code, tree.r.stderr).toBe(0);
    expect(packageLoads(tree.loads, ["commander"]).length).toBeGreaterThan(0);

    const serve = await loadsOf(dir, "serve", [BIN, "__runner-serve", "run"], "");
    // An empty order is refused as a run that ended on the runner, in the protocol's words.
    expect(serve.r.code).toBe(1);
    expect(JSON.parse(serve.r.stdout.trim())).toMatchObject({
      t: "end",
      state: "failed",
      outcome: "runner-error",
    });
    expect(serve.loads.some((f) => f.includes("/dist/bundle/runner-serve.js"))).toBe(true);
    expect(packageLoads(serve.loads, ["commander"])).toEqual([]);

    // A run folder without its provision: the relay fails after loading its code.
    const relay = await loadsOf(dir, "relay", [BIN, "__runner-serve", "relay", join(dir, "no-run")]);
    expect(relay.r.code).toBe(1);
    expect(relay.r.stderr).toContain("has no provision.json");
    expect(moduleLoads(relay.loads, "run/remote/relay.js").length).toBeGreaterThan(0);
    expect(packageLoads(relay.loads, ["commander"])).toEqual([]);
    expect(moduleLoads(relay.loads, "run/remote/masking.js")).toEqual([]);
  }, 120_000);

  it("a supervisor's start loads no zod", async () => {
    const dir = await makeTempDir();
    const sup = await loadsOf(dir, "supervisor", [
      join(PACKAGE_ROOT, "dist", "bundle", "supervisor.js"),
      join(dir, "no-run"),
    ]);
    expect(sup.r.code).toBe(1);
    // It loaded the run stage (the supervisor's code) before it failed on the missing folder.
    expect(moduleLoads(sup.loads, "run/supervise/prepare.js").length).toBeGreaterThan(0);
    expect(packageLoads(sup.loads, ["zod"])).toEqual([]);
  }, 120_000);
});
