/**
 * `ballador doctor` on built-in agents, through the real executable: found or not, the version,
 * and what is missing for unattended use. A stand-in `claude` on PATH answers --version, so
 * these facts do not depend on what the machine has installed.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { cleanupTempDirs, parseJson, repoWithStandInAgent, type TestRepo } from "../helpers/cli.js";

afterEach(cleanupTempDirs);

interface Check {
  name: string;
  ok: boolean;
  warn?: boolean;
  detail: string;
  fix?: string;
}

async function project(
  profiles: Record<string, unknown>,
  sandbox = "mode: none",
): Promise<{ repo: TestRepo; env: NodeJS.ProcessEnv }> {
  const { repo, env } = await repoWithStandInAgent("claude", "9.9.9 (Claude Code)");
  await repo.write(
    ".ballador/config.yaml",
    `agents:\n  default: ${Object.keys(profiles)[0]}\n  profiles: ${JSON.stringify(profiles)}\nsandbox:\n  ${sandbox}\n`,
  );
  for (const name of ["ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "CLAUDE_CODE_OAUTH_TOKEN"])
    env[name] = undefined;
  return { repo, env };
}

async function agentChecks(repo: TestRepo, env: NodeJS.ProcessEnv): Promise<Record<string, Check>> {
  const r = await repo.run(["doctor", "--json"], { env });
  const checks = parseJson<{ checks: Check[] }>(r).checks.filter((c) => c.name.startsWith("agent "));
  return Object.fromEntries(checks.map((c) => [c.name.slice("agent ".length), c]));
}

describe("doctor: built-in agents", () => {
  it("names the version and the missing credentials, then passes once the key is there", async () => {
    const { repo, env } = await project({ claude: { preset: "claude" } });
    const without = (await agentChecks(repo, env)).claude;
    expect(without?.ok).toBe(false);
    expect(without?.detail).toContain("claude 9.9.9 (Claude Code) at ");
    expect(without?.detail).toContain("interactive");
    expect(without?.detail).toContain(
      "no credentials: none of ANTHROPIC_API_KEY, ANTHROPIC_AUTH_TOKEN, CLAUDE_CODE_OAUTH_TOKEN is set and there is no ~/.claude/.credentials.json",
    );
    expect(without?.fix).toBe(
      "set ANTHROPIC_API_KEY in the environment you launch from, or log in once with claude (~/.claude/.credentials.json)",
    );

    const withKey = (await agentChecks(repo, { ...env, ANTHROPIC_API_KEY: "sk-test" })).claude;
    expect(withKey).toMatchObject({ ok: true });
    expect(withKey?.detail).toContain("credentials: ANTHROPIC_API_KEY");
    expect(withKey?.detail).not.toContain("sk-test");
  });

  it("a login file in HOME counts; a key the profile does not pass is named with the line to add", async () => {
    const { repo, env } = await project({ solo: { preset: "claude-headless", env: ["ANTHROPIC_BASE_URL"] } });
    const notPassed = (await agentChecks(repo, { ...env, ANTHROPIC_API_KEY: "sk-test" })).solo;
    expect(notPassed?.ok).toBe(false);
    expect(notPassed?.detail).toContain("headless");
    expect(notPassed?.detail).toContain("ANTHROPIC_API_KEY is set here but the profile does not pass it");
    expect(notPassed?.fix).toBe("add ANTHROPIC_API_KEY to agents.profiles.solo.env");

    await mkdir(join(env.HOME as string, ".claude"));
    await writeFile(join(env.HOME as string, ".claude", ".credentials.json"), "{}");
    const loggedIn = (await agentChecks(repo, env)).solo;
    expect(loggedIn).toMatchObject({ ok: true });
    expect(loggedIn?.detail).toContain("credentials: ~/.claude/.credentials.json");
  });

  it("looks for the agent itself, not the wrapper its preset runs, and names how to install it", async () => {
    const { repo, env } = await project({
      aider: { preset: "aider" },
      codex: { preset: "codex" },
      mine: { command: ["claude", "--model", "x", "{prompt}"] },
    });
    const checks = await agentChecks(repo, env);
    expect(checks.aider).toMatchObject({
      ok: false,
      detail: "aider not found on PATH",
      fix: "pipx install aider-chat",
    });
    expect(checks.codex).toMatchObject({ ok: false, fix: "npm install -g @openai/codex" });
    // A command profile: found, no version or credentials claims.
    expect(checks.mine?.ok).toBe(true);
    expect(checks.mine?.detail).toMatch(/^claude found at /);
  });

  it("a model server on this machine that the allowlist does not list is named, with the line to add", async () => {
    const env = ["ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL"];
    const { repo, env: base } = await project({ claude: { preset: "claude", env } }, "mode: bwrap");
    const local = { ...base, ANTHROPIC_API_KEY: "sk-test", ANTHROPIC_BASE_URL: "http://127.0.0.1:4000" };
    const blocked = (await agentChecks(repo, local)).claude;
    expect(blocked?.ok).toBe(false);
    expect(blocked?.detail).toContain(
      "ANTHROPIC_BASE_URL points at 127.0.0.1 (this machine), which the sandbox's allowlist does not list",
    );
    expect(blocked?.fix).toContain('sandbox.allow_hosts: ["127.0.0.1"]');
    expect(blocked?.fix).toContain('agents.profiles.claude.allow_hosts: ["127.0.0.1"]');
    // localhost: the proxy refuses names that resolve to loopback, so the URL should say 127.0.0.1.
    const named = (await agentChecks(repo, { ...local, ANTHROPIC_BASE_URL: "http://localhost:4000" })).claude;
    expect(named?.fix).toContain("and set ANTHROPIC_BASE_URL to http://127.0.0.1:4000");

    const allowed = await project(
      { claude: { preset: "claude", env, allow_hosts: ["127.0.0.1"] } },
      "mode: bwrap",
    );
    expect((await agentChecks(allowed.repo, { ...allowed.env, ...local })).claude).toMatchObject({
      ok: true,
    });
  });

  it("says which secrets a profile masks (for which hosts) and passes; a masked host outside the allowlist is named with the fix", async () => {
    const secrets = {
      ANTHROPIC_API_KEY: { env: "ANTHROPIC_API_KEY", hosts: ["api.anthropic.com"] },
      DEPLOY_TOKEN: { env: "DEPLOY_TOKEN", hosts: ["deploy.example.com"], mode: "pass" },
    };
    const { repo, env } = await project({ claude: { preset: "claude", secrets } }, "mode: bwrap");
    const keyed = { ...env, ANTHROPIC_API_KEY: "sk-test", DEPLOY_TOKEN: "t" };
    const ok = (await agentChecks(repo, keyed)).claude;
    expect(ok?.ok, ok?.detail).toBe(true);
    expect(ok?.detail).toContain(
      "secrets: masked ANTHROPIC_API_KEY (for api.anthropic.com); passed DEPLOY_TOKEN",
    );

    const far = await project(
      {
        claude: {
          preset: "claude",
          secrets: { ANTHROPIC_API_KEY: { env: "ANTHROPIC_API_KEY", hosts: ["llm.example.com"] } },
        },
      },
      "mode: bwrap",
    );
    const bad = (await agentChecks(far.repo, { ...far.env, ANTHROPIC_API_KEY: "sk-test" })).claude;
    expect(bad?.ok).toBe(false);
    expect(bad?.detail).toContain(
      "masked secret ANTHROPIC_API_KEY is for llm.example.com, which the sandbox does not reach",
    );
    expect(bad?.fix).toContain(
      'add "llm.example.com" to agents.profiles.claude.allow_hosts or sandbox.allow_hosts',
    );
  });

  it("a base URL set here that the profile does not pass is named (the agent would use its default endpoint)", async () => {
    const { repo, env } = await project({ claude: { preset: "claude", env: ["ANTHROPIC_API_KEY"] } });
    const r = (
      await agentChecks(repo, { ...env, ANTHROPIC_API_KEY: "k", ANTHROPIC_BASE_URL: "http://127.0.0.1:4000" })
    ).claude;
    expect(r?.ok).toBe(false);
    expect(r?.fix).toBe("add ANTHROPIC_BASE_URL to agents.profiles.claude.env");
    // OPENAI_BASE_URL is not Claude Code's business.
    const other = (
      await agentChecks(repo, { ...env, ANTHROPIC_API_KEY: "k", OPENAI_BASE_URL: "http://x/v1" })
    ).claude;
    expect(other?.ok).toBe(true);
  });
});
