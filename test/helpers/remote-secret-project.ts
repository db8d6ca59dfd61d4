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
