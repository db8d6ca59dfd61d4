/**
 * `ballador agents` and `doctor` with the real Kilo CLI, Droid and Auggie (pinned in
 * test/agent-clis/): each found on PATH with its version, and what each lacks named with its fix:
 * Droid a Factory key or a model of one's own, Auggie its Augment login (it has no provider of
 * one's own, so that is all that can be proven of it here).
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  AGENT_CLIS_TIMEOUT,
  installAgentClis,
  type AgentListed as Listed,
  pathWithOnly,
} from "../helpers/agent-clis.js";
import { cleanupTempDirs, makeGitRepo, parseJson, runProgram } from "../helpers/cli.js";

beforeAll(installAgentClis, AGENT_CLIS_TIMEOUT);
afterEach(cleanupTempDirs);

describe("Kilo, Droid and Auggie detected", () => {
  it("with their versions, their commands and retries, and the fix named when they lack credentials", async () => {
    const repo = await makeGitRepo();
    const home = join(repo.parent, "home");
    await mkdir(home);
    const { bin, PATH } = await pathWithOnly(repo.parent, ["kilo", "droid", "auggie"]);
    const env: NodeJS.ProcessEnv = { PATH, HOME: home };
    for (const name of ["ANTHROPIC_API_KEY", "OPENAI_API_KEY", "GEMINI_API_KEY", "FACTORY_API_KEY"])
      env[name] = undefined;
    // Each once before: in a fresh HOME on a loaded machine `kilo --version` took 10 s (its
    // 170 MB binary paged in), near the 20 s the listing waits for each of the three at once.
    for (const b of ["kilo", "droid", "auggie"])
      await runProgram(join(bin, b), ["--version"], { cwd: repo.dir, env: { ...repo.env, ...env } });
    const r = await repo.run(["agents", "--json"], { env });
    const by = Object.fromEntries(parseJson<{ agents: Listed[] }>(r).agents.map((a) => [a.preset, a]));

    expect(by.kilo).toMatchObject({ path: join(bin, "kilo"), version: expect.stringContaining("7.7.7") });
    expect(by.kilo?.retryCommand?.join(" ")).toBe("kilo run --continue --auto {prompt}");
    expect(by["droid-headless"]).toMatchObject({
      path: join(bin, "droid"),
      version: expect.stringContaining("0.225.2"),
      // The session's id is found in the earlier attempt's records when it retries.
      retryCommand: ["droid", "exec", "--fork", "{session}", "--skip-permissions-unsafe", "{prompt}"],
      tested: expect.stringContaining("test/agents/droid.e2e.test.ts"),
    });
    expect(by.auggie).toMatchObject({
      path: join(bin, "auggie"),
      version: expect.stringContaining("0.36.0"),
    });
    expect(by.auggie?.retryCommand?.join(" ")).toBe("auggie --continue {prompt}");

    expect(by.droid?.missing[0]?.problem).toContain("FACTORY_API_KEY");
    expect(by.droid?.missing[0]?.fix).toContain("customModels");
    expect(by.auggie?.missing[0]?.problem).toContain("AUGMENT_SESSION_AUTH");
    expect(by.auggie?.missing[0]?.fix).toContain("auggie login");
    expect(by.kilo?.missing[0]?.fix).toContain("ANTHROPIC_API_KEY");
  }, 120_000);
});
