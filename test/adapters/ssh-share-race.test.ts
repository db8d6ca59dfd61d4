/**
 * The opening of a shared SSH connection (spec 0013) against a real sshd: sessions started
 * while launch opens the runner's connection wait for it instead of each opening their own
 * (OpenSSH's ControlMaster=auto lets two sessions that find no socket both connect), and an
 * opener that loses the race to a session ends instead of holding a connection of its own.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runSsh, shareDir, warmConnection } from "../../src/adapters/ssh/index.js";
import { HAVE_RUNNER_HOSTS, type RunnerHosts } from "../helpers/runner-hosts.js";
import { useRunnerHosts } from "../helpers/runner-project.js";
import { waitFor } from "../helpers/runtime.js";

function sshdConnections(hosts: RunnerHosts): number {
  const h = hosts.hosts[0] as RunnerHosts["hosts"][number];
  const out = execFileSync(
    "ip",
    ["netns", "exec", h.netns, "ss", "-Htn", "state", "established", `( sport = :${h.port} )`],
    { encoding: "utf8" },
  );
  return out.split("\n").filter((l) => l.trim() !== "").length;
}

/** The ssh processes (openers, sessions, shared connections) using a socket in `dir`. */
function sshUsing(dir: string): string[] {
  const ps = execFileSync("ps", ["-eo", "pid=,args="], { encoding: "utf8" });
  return ps.split("\n").filter((l) => l.includes(`${dir}/`) && /\bssh\b/.test(l));
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) {
    for (const l of sshUsing(d)) process.kill(Number(l.trim().split(/\s+/)[0]), "SIGKILL");
    rmSync(d, { recursive: true, force: true });
  }
});

function freshShare(): string {
  // Short: a socket path holds 107 characters.
  const d = mkdtempSync(join(tmpdir(), "bl-race-"));
  dirs.push(d);
  return shareDir(join(d, "s")) as string;
}

describe.skipIf(!HAVE_RUNNER_HOSTS)("opening a shared SSH connection (spec 0013)", () => {
  const hosts = useRunnerHosts([{ name: "r1" }]);

  it("sessions started while the connection opens wait for it: one connection to the runner", async () => {
    const env = { ...process.env, ...hosts.env };
    await waitFor(async () => sshdConnections(hosts) === 0 || undefined, "no connection yet", 30_000);
    const share = freshShare();
    warmConnection({ target: "r1" }, share, env);
    const sessions = [1, 2, 3].map(() => runSsh("r1", "sleep 3; echo ok", { share, env }));
    await new Promise((r) => setTimeout(r, 2000));
    expect(sshdConnections(hosts)).toBe(1);
    for (const s of await Promise.all(sessions)) expect(s.stdout.trim()).toBe("ok");
  }, 120_000);

  it("an opener that loses the race to a session ends: nothing holds a connection of its own", async () => {
    const env = { ...process.env, ...hosts.env };
    const share = freshShare();
    // The session first (no opener yet: it connects at once), the opener right behind it.
    const session = runSsh("r1", "sleep 2; echo ok", { share, env });
    warmConnection({ target: "r1" }, share, env);
    expect((await session).stdout.trim()).toBe("ok");
    // What is left is at most the shared connection itself, which ends after its idle minute.
    await waitFor(
      async () => sshUsing(share).every((l) => l.includes("[mux]")) || undefined,
      "the opener and the session to end",
      30_000,
    );
  }, 120_000);
});
