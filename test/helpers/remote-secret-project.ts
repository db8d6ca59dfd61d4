/**
 * A sandboxed project whose masked secrets are used from the runner host r1 (its root under ~,
 * as the default is: the tunnel's socket path needs the runner's $HOME), the hosts' remote as
 * runners_remote, and r1 checked (which installs this build's Ballador there).
 */
import { expect } from "vitest";
import { maskedSecretConfig, type SecretSpec } from "./profiles.js";
import type { RunnerHosts } from "./runner-hosts.js";
import { makeSandboxProject, type SandboxProject } from "./sandbox.js";

export async function remoteSecretProject(
  hosts: RunnerHosts,
  secrets: Record<string, SecretSpec>,
): Promise<SandboxProject> {
  const p = await makeSandboxProject({
    allowHosts: ["127.0.0.1"],
    config: {
      ...maskedSecretConfig(secrets),
      runners: [{ name: "r1", ssh: "r1", root: "~/ballador" }],
      runners_remote: hosts.remote.url,
    },
  });
  Object.assign(p.env, hosts.env);
  // It sends the 7 MB bundle there the first time: slow on a loaded machine.
  const checked = await p.run(["runner", "check", "r1"], { timeoutMs: 240_000 });
  expect(checked.code, checked.stdout + checked.stderr).toBe(0);
  return p;
}

/**
 * The two masked secrets both remote-secret tests use: a variable, and a credential file whose
 * content is made at home with the stand-in in the token's place; both for 127.0.0.1.
 */
export const VARIABLE_AND_FILE: Record<string, SecretSpec> = {
  API_TOKEN: { env: "API_TOKEN", hosts: ["127.0.0.1"] },
  TOKEN_FILE: {
    env: "TOKEN_JSON",
    hosts: ["127.0.0.1"],
    at: "~/.config/tool/token.json",
    extract: '"token": *"([^"]+)"',
  },
};

/** A shell command printing the token of VARIABLE_AND_FILE's file as the agent sees it. */
export const FILE_TOKEN = `sed -n 's/.*"token": *"\\([^"]*\\)".*/\\1/p' "$HOME/.config/tool/token.json"`;
