/**
 * A project whose config names every runner host as a runner (2 sessions each, its root in the
 * runner user's home), the bare remote as runners_remote and `ls *.txt` as verify (every
 * scripted part writes a .txt file: checked on the runner, and again at home by the merge),
 * with each runner checked, which installs this build's Ballador there.
 */
import { afterAll, beforeAll } from "vitest";
import { type HostSpec, type RunnerHosts, startRunnerHostsWithGit } from "./runner-hosts.js";
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

/**
 * The hosts of one describe block: started with git identities before its tests, and after them
 * `cleanup` (the block's projects) then the hosts removed. Teardown (the users' processes, userdel,
 * namespaces) is slow on a loaded machine, hence its 180 s. The hosts are read through the returned
 * object once started; reading them earlier is a test's mistake and says so.
 */
export function useRunnerHosts(specs: HostSpec[], cleanup?: () => Promise<void>): RunnerHosts {
  let started: RunnerHosts | undefined;
  beforeAll(async () => {
    started = await startRunnerHostsWithGit(specs);
  }, 120_000);
  afterAll(async () => {
    await cleanup?.();
    await started?.close();
  }, 180_000);
  return new Proxy({} as RunnerHosts, {
    get(_target, key) {
      if (!started) throw new Error("the runner hosts are read before beforeAll started them");
      return Reflect.get(started, key);
    },
  });
}
