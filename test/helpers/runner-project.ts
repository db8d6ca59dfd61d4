/**
 * A project whose config names every runner host as a runner (2 sessions each, its root in the
 * runner user's home), the bare remote as runners_remote and `ls *.txt` as verify (every
 * scripted part writes a .txt file: checked on the runner, and again at home by the merge),
 * with each runner checked, which installs this build's Ballador there.
 */
import type { RunnerHosts } from "./runner-hosts.js";
import { makeProject, type Project } from "./runtime.js";

export async function remoteProject(
  hosts: RunnerHosts,
  config: Record<string, unknown> = {},
): Promise<Project> {
  const p = await makeProject({
    config: {
      runners: hosts.hosts.map((h) => ({
        name: h.name,
        ssh: h.name,
        max_sessions: 2,
        root: `${h.home}/ballador`,
      })),
      runners_remote: hosts.remote.url,
      verify: "ls *.txt",
      ...config,
    },
  });
  Object.assign(p.env, hosts.env);
  for (const h of hosts.hosts) await p.ok(["runner", "check", h.name]);
  return p;
}
