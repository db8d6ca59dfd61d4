/**
 * `ballador agents` finds the real Copilot CLI and Qwen Code (pinned in test/agent-clis/) on
 * PATH with their versions, says what they lack with the fix named (Copilot CLI: a GitHub token
 * or a model provider of your own; Qwen Code: a key), and counts a provider of your own as
 * Copilot CLI's credentials once the profile passes it.
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  AGENT_BIN,
  AGENT_CLIS_TIMEOUT,
  installAgentClis,
  type AgentListed as Listed,
} from "../helpers/agent-clis.js";
import { cleanupTempDirs, makeGitRepo, parseJson, runProgram } from "../helpers/cli.js";

beforeAll(installAgentClis, AGENT_CLIS_TIMEOUT);
afterEach(cleanupTempDirs);

describe("Copilot CLI and Qwen Code detected", () => {
  it("with their versions, and the fix named when they have no credentials", async () => {
    const repo = await makeGitRepo();
    const home = join(repo.parent, "home");
    await mkdir(home);
    const env = { PATH: `${AGENT_BIN}:/usr/bin:/bin`, HOME: home };
    // A HOME where Copilot CLI ran before: its first start unpacks its package (about 235 MB)
    // into ~/.cache/copilot, longer than the 5 s doctor waits for a version on a loaded machine.
    await runProgram(join(AGENT_BIN, "copilot"), ["--version"], {
      cwd: repo.dir,
      env: { ...repo.env, ...env },
    });
    const r = await repo.run(["agents", "--json"], { env });
    const by = Object.fromEntries(parseJson<{ agents: Listed[] }>(r).agents.map((a) => [a.preset, a]));
    expect(by.copilot).toMatchObject({
      path: join(AGENT_BIN, "copilot"),
      version: "GitHub Copilot CLI 1.0.102.",
    });
    expect(by["qwen-headless"]).toMatchObject({ path: join(AGENT_BIN, "qwen"), version: "0.24.4" });
    expect(by.copilot?.missing[0]?.problem).toContain("none of COPILOT_GITHUB_TOKEN");
    expect(by.copilot?.missing[0]?.fix).toContain("COPILOT_PROVIDER_BASE_URL");
    expect(by.qwen?.missing[0]?.fix).toContain("set OPENAI_API_KEY");

    await repo.write(
      ".ballador/config.yaml",
      "agents:\n  default: mine\n  profiles:\n    mine: { preset: copilot, env: [COPILOT_PROVIDER_BASE_URL, COPILOT_PROVIDER_TYPE] }\n",
    );
    const byok = await repo.run(["agents", "--json"], {
      env: { ...env, COPILOT_PROVIDER_BASE_URL: "http://127.0.0.1:9", COPILOT_PROVIDER_TYPE: "anthropic" },
    });
    const mine = parseJson<{ agents: Listed[] }>(byok).agents.find((a) => a.preset === "copilot");
    expect(mine).toMatchObject({ credentials: ["COPILOT_PROVIDER_BASE_URL"], missing: [] });
  }, 120_000);
});
