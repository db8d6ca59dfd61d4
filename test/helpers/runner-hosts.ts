/**
 * Runner hosts for the tests of `runners:` (issue 32), all on this machine: each host is a network
 * namespace joined to the root namespace by a veth pair (its own /30 in 10.77.0.0/16), running its
 * own `sshd` (its own config, host key and port) and logged into as its own Unix user, made for the
 * test with a 0700 home that the other runner users cannot read. A bare repository (the
 * `runners_remote`) is kept by one more Unix user and served by an `sshd` in the root namespace,
 * bound to the first host's root-side address, so home and every runner reach it at one URL
 * without IP forwarding. The runner users reach it with their own key (~/.ssh/id_ed25519).
 *
 *   if (!HAVE_RUNNER_HOSTS) ... // skipped, with the reason printed (RUNNER_HOSTS_MISSING)
 *   const hosts = await startRunnerHosts({ hosts: [{ name: "r1" }, { name: "r2", pathWithout: ["bwrap"] }] });
 *   await runCli(["runner", "add", "r1", "--ssh", "r1"], { cwd, env: cleanEnv(xdg, hosts.env) });
 *   await hosts.hosts[0].ssh("id -un");               // as that host's user
 *   hosts.remote.url                                  // ssh://<user>@10.77.x.1:2222/<path>/remote.git
 *   await hosts.close();                              // sshd, users, netns, folders: all gone
 *
 * Ballador is pointed at the hosts by `env`: BALLADOR_SSH_CONFIG (its ssh, scp and git over SSH
 * use `-F` with that file) and GIT_SSH_COMMAND (git run by the test itself). The ssh_config file
 * pins every host key (StrictHostKeyChecking yes, a known_hosts file of our own), so no prompt and
 * no person's ~/.ssh is ever involved. Names carry a random tag: parallel workers do not collide.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomBytes, randomInt } from "node:crypto";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { runProgram } from "./cli.js";

const SSHD = "/usr/sbin/sshd";
const IP = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].find((p) => existsSync(p));
const USERADD = ["/usr/sbin/useradd", "/sbin/useradd"].find((p) => existsSync(p));
const PORT = 2222;
/** Address claims shared by every test process on this machine (see claimSubnet). */
const CLAIMS = "/run/ballador-test-runner-hosts";

function missing(): string | null {
  if (process.platform !== "linux") return "runner hosts need Linux network namespaces";
  if (process.getuid?.() !== 0) return "runner hosts need root (network namespaces, Unix users, sshd)";
  if (!existsSync(SSHD)) return `no ${SSHD} (apt-get install openssh-server)`;
  if (!IP) return "no `ip` (apt-get install iproute2)";
  if (!USERADD) return "no useradd (apt-get install passwd)";
  if (!existsSync("/usr/bin/ssh")) return "no ssh client (apt-get install openssh-client)";
  return null;
}

/** Why the runner hosts cannot be made here, or null when they can. */
export const RUNNER_HOSTS_MISSING = missing();
export const HAVE_RUNNER_HOSTS = RUNNER_HOSTS_MISSING === null;
if (RUNNER_HOSTS_MISSING) {
  // Loud, never silent: the runner tests are skipped on this machine.
  console.warn(`runner host tests skipped: ${RUNNER_HOSTS_MISSING} (run scripts/ensure-setup.sh as root)`);
}

export interface HostSpec {
  /** The ssh_config Host alias (also what `ballador runner add NAME --ssh NAME` uses). */
  name: string;
  /** Commands left out of this host's PATH (e.g. ["bwrap"]): a runner that must fail its check. */
  pathWithout?: string[];
  /** Commands put first on this host's PATH: name -> a shell script's text (a lying or hostile tool). */
  pathExtra?: Record<string, string>;
}

export interface SshResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunnerHost {
  name: string;
  /** The Unix user Ballador logs in as. */
  user: string;
  /** The host's address inside its namespace, and home's address as the host sees it. */
  address: string;
  gateway: string;
  port: number;
  /** The user's home on this machine (0700, owned by the user). */
  home: string;
  netns: string;
  /** `user@address`, for `--ssh` without the alias (the port comes from ssh_config's Host *). */
  target: string;
  /** Runs a shell command on the host as its user, over ssh with the test's ssh_config. */
  ssh(command: string, opts?: { input?: string; timeoutMs?: number }): Promise<SshResult>;
}

export interface RunnerHosts {
  /** Root of everything made on this machine's disk (0711: the users can pass, not list). */
  dir: string;
  /** The ssh_config file: Host aliases for every host, pinned host keys, the client key. */
  sshConfig: string;
  /** For the test's `ballador` and git: BALLADOR_SSH_CONFIG and GIT_SSH_COMMAND. */
  env: Record<string, string>;
  hosts: RunnerHost[];
  remote: { url: string; user: string; path: string };
  /** Stops every process of the hosts' users and their sshd, removes users, netns, folders. */
  close(): Promise<void>;
}

interface Made {
  sshd: ChildProcess[];
  users: string[];
  netns: string[];
  claims: string[];
  dir: string;
}

const run = (cmd: string, args: string[], input?: string): string =>
  execFileSync(cmd, args, { encoding: "utf8", stdio: ["pipe", "pipe", "pipe"], ...(input ? { input } : {}) });

/** Established connections to the first host's sshd, counted in its own network namespace. */
export function sshdConnections(hosts: RunnerHosts): number {
  const h = hosts.hosts[0] as RunnerHost;
  const out = run("ip", [
    "netns",
    "exec",
    h.netns,
    "ss",
    "-Htn",
    "state",
    "established",
    `( sport = :${h.port} )`,
  ]);
  return out.split("\n").filter((l) => l.trim() !== "").length;
}

/** Starts the hosts, each runner user with a git identity (as a machine the team set up has). */
export async function startRunnerHostsWithGit(hosts: HostSpec[]): Promise<RunnerHosts> {
  const started = await startRunnerHosts({ hosts });
  for (const h of started.hosts)
    await h.ssh("git config --global user.name Runner && git config --global user.email runner@example.com");
  return started;
}

/** Starts the hosts; on any failure everything made so far is removed before the error is thrown. */
export async function startRunnerHosts(opts: { hosts?: HostSpec[] } = {}): Promise<RunnerHosts> {
  if (RUNNER_HOSTS_MISSING) throw new Error(`runner hosts unavailable: ${RUNNER_HOSTS_MISSING}`);
  const specs = opts.hosts ?? [{ name: "r1" }, { name: "r2" }];
  const tag = `bl${randomBytes(3).toString("hex")}`;
  const dir = join("/tmp", `ballador-runner-hosts-${tag}`);
  mkdirSync(dir, { mode: 0o711 });
  chmodSync(dir, 0o711);
  const keys = join(dir, "keys");
  mkdirSync(keys, { mode: 0o700 });
  // sshd refuses to start without its privilege separation folder.
  mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });
  const made: Made = { sshd: [], users: [], netns: [], claims: [], dir };
  try {
    run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", `${tag}-client`, "-f", join(keys, "client")]);
    const hosts: RunnerHost[] = [];
    const known: string[] = [];
    for (const [i, spec] of specs.entries()) {
      const h = await startHost(tag, i, spec, keys, made, known);
      hosts.push(h);
    }
    const first = hosts[0];
    if (!first) throw new Error("startRunnerHosts: at least one host");
    const remote = await startRemote(tag, first.gateway, keys, made, known, hosts);
    const sshConfig = writeSshConfig(dir, keys, hosts, known);
    const env = { BALLADOR_SSH_CONFIG: sshConfig, GIT_SSH_COMMAND: `ssh -F ${sshConfig}` };
    for (const h of hosts) h.ssh = (command, o) => sshAs(sshConfig, h.name, command, o);
    return { dir, sshConfig, env, hosts, remote, close: () => teardown(made) };
  } catch (err) {
    await teardown(made);
    throw err;
  }
}

function sshAs(
  config: string,
  alias: string,
  command: string,
  o: { input?: string; timeoutMs?: number } = {},
): Promise<SshResult> {
  return runProgram("ssh", ["-F", config, alias, command], {
    cwd: "/",
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
    ...(o.input !== undefined ? { input: o.input } : {}),
    timeoutMs: o.timeoutMs ?? 30_000,
  });
}

/** A free /30 in 10.77.0.0/16, claimed by an exclusive file so parallel test processes differ. */
function claimSubnet(made: Made): [string, string] {
  mkdirSync(CLAIMS, { recursive: true, mode: 0o700 });
  const inUse = run(IP as string, ["-4", "-o", "addr", "show"]);
  for (let tries = 0; tries < 200; tries++) {
    const third = randomInt(0, 256);
    const fourth = randomInt(0, 64) * 4;
    const base = `10.77.${third}.${fourth}`;
    const gateway = `10.77.${third}.${fourth + 1}`;
    const address = `10.77.${third}.${fourth + 2}`;
    if (inUse.includes(` ${gateway}/`) || inUse.includes(` ${address}/`)) continue;
    try {
      writeFileSync(join(CLAIMS, base), `${process.pid}\n`, { flag: "wx" });
    } catch {
      continue;
    }
    made.claims.push(join(CLAIMS, base));
    return [gateway, address];
  }
  throw new Error("runner hosts: no free /30 in 10.77.0.0/16");
}

/** A Unix user with a 0700 home under `dir`, able to log in by key only. */
function makeUser(user: string, home: string, made: Made): void {
  run(USERADD as string, ["-m", "-d", home, "-s", "/bin/sh", "-K", "UMASK=077", user]);
  made.users.push(user);
  // "*" rather than useradd's "!": sshd without PAM refuses a locked account even for keys.
  run("usermod", ["-p", "*", user]);
  chmodSync(home, 0o700);
}

function writeOwned(user: string, path: string, text: string, mode: number): void {
  writeFileSync(path, text, { mode });
  chmodSync(path, mode);
  run("chown", [`${user}:${user}`, path]);
}

/** ~/.ssh of a user: authorized_keys, and optionally its own key pair and known_hosts. */
function sshDir(user: string, home: string, authorized: string): string {
  const d = join(home, ".ssh");
  mkdirSync(d, { mode: 0o700 });
  run("chown", [`${user}:${user}`, d]);
  writeOwned(user, join(d, "authorized_keys"), authorized, 0o600);
  return d;
}

/** A folder of links to every command of the system's bin folders but `without`, and `extra` scripts. */
function pathFarm(dir: string, name: string, without: string[], extra: Record<string, string>): string {
  const farm = join(dir, `path-${name}`);
  mkdirSync(farm, { mode: 0o755 });
  chmodSync(farm, 0o755);
  for (const [cmd, text] of Object.entries(extra)) {
    writeFileSync(join(farm, cmd), text, { mode: 0o755 });
    chmodSync(join(farm, cmd), 0o755);
  }
  for (const bin of ["/usr/local/bin", "/usr/bin", "/bin", "/usr/sbin", "/sbin"]) {
    if (!existsSync(bin)) continue;
    for (const entry of readdirSync(bin)) {
      if (without.includes(entry) || existsSync(join(farm, entry))) continue;
      symlinkSync(join(bin, entry), join(farm, entry));
    }
  }
  return farm;
}

async function startHost(
  tag: string,
  i: number,
  spec: HostSpec,
  keys: string,
  made: Made,
  known: string[],
): Promise<RunnerHost> {
  const ip = IP as string;
  const netns = `${tag}-${i}`;
  const user = `${tag}r${i}`;
  const [gateway, address] = claimSubnet(made);
  run(ip, ["netns", "add", netns]);
  made.netns.push(netns);
  run(ip, ["link", "add", `${tag}${i}h`, "type", "veth", "peer", "name", `${tag}${i}n`]);
  run(ip, ["link", "set", `${tag}${i}n`, "netns", netns]);
  run(ip, ["addr", "add", `${gateway}/30`, "dev", `${tag}${i}h`]);
  run(ip, ["link", "set", `${tag}${i}h`, "up"]);
  run(ip, ["-n", netns, "addr", "add", `${address}/30`, "dev", `${tag}${i}n`]);
  run(ip, ["-n", netns, "link", "set", `${tag}${i}n`, "up"]);
  run(ip, ["-n", netns, "link", "set", "lo", "up"]);
  run(ip, ["-n", netns, "route", "add", "default", "via", gateway]);

  const home = join(made.dir, `home-${spec.name}`);
  makeUser(user, home, made);
  const dotSsh = sshDir(user, home, readFileSync(join(keys, "client.pub"), "utf8"));
  // The runner's own key, for the shared remote (authorized there by startRemote).
  run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", user, "-f", join(dotSsh, "id_ed25519")]);
  run("chown", [`${user}:${user}`, join(dotSsh, "id_ed25519"), join(dotSsh, "id_ed25519.pub")]);

  const hostKey = join(keys, `host-${spec.name}`);
  run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", spec.name, "-f", hostKey]);
  known.push(`[${address}]:${PORT} ${hostPub(hostKey)}`);
  const path =
    spec.pathWithout?.length || spec.pathExtra
      ? pathFarm(made.dir, spec.name, spec.pathWithout ?? [], spec.pathExtra ?? {})
      : "/usr/local/bin:/usr/bin:/bin";
  const config = sshdConfig(keys, spec.name, address, hostKey, user, path);
  await startSshd([ip, "netns", "exec", netns, SSHD, "-D", "-e", "-f", config], made);
  const host: RunnerHost = {
    name: spec.name,
    user,
    address,
    gateway,
    port: PORT,
    home,
    netns,
    target: `${user}@${address}`,
    ssh: () => Promise.reject(new Error("not ready")),
  };
  return host;
}

function hostPub(hostKey: string): string {
  return readFileSync(`${hostKey}.pub`, "utf8").trim().split(" ").slice(0, 2).join(" ");
}

function sshdConfig(
  keys: string,
  name: string,
  address: string,
  hostKey: string,
  user: string,
  path: string,
): string {
  const file = join(keys, `sshd-${name}.conf`);
  const lines = [
    `Port ${PORT}`,
    `ListenAddress ${address}`,
    `HostKey ${hostKey}`,
    `PidFile ${join(keys, `sshd-${name}.pid`)}`,
    "UsePAM no",
    "PasswordAuthentication no",
    "KbdInteractiveAuthentication no",
    "PermitRootLogin no",
    `AllowUsers ${user}`,
    // A login's PATH is this host's, not the system default: a host can lack a command.
    `SetEnv PATH=${path}`,
    "LogLevel ERROR",
    "",
  ];
  writeFileSync(file, lines.join("\n"), { mode: 0o600 });
  return file;
}

/** Starts sshd in the foreground (-D) and waits for it to listen; its process is ours to end. */
function startSshd(argv: string[], made: Made): Promise<void> {
  const [cmd, ...args] = argv as [string, ...string[]];
  // -e sends the log to stderr; "Server listening" needs LogLevel INFO, so readiness is a probe.
  const child = spawn(cmd, args, { stdio: ["ignore", "ignore", "pipe"] });
  made.sshd.push(child);
  let log = "";
  child.stderr?.setEncoding("utf8").on("data", (d: string) => {
    log += d;
  });
  const configFile = argv[argv.length - 1] as string;
  const pidFile = readFileSync(configFile, "utf8").match(/^PidFile (.+)$/m)?.[1] as string;
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + 20_000;
    const poll = () => {
      if (child.exitCode !== null) return reject(new Error(`sshd exited ${child.exitCode}: ${log}`));
      // sshd writes its pid file once it listens.
      if (existsSync(pidFile)) return resolve();
      if (Date.now() > deadline) return reject(new Error(`sshd did not start in 20 s: ${log}`));
      setTimeout(poll, 50);
    };
    poll();
  });
}

/** The bare repository's keeper: a user in the root namespace behind its own sshd. */
async function startRemote(
  tag: string,
  address: string,
  keys: string,
  made: Made,
  known: string[],
  hosts: RunnerHost[],
): Promise<RunnerHosts["remote"]> {
  const user = `${tag}g`;
  const home = join(made.dir, "home-remote");
  makeUser(user, home, made);
  const runnerKeys = hosts.map((h) => readFileSync(join(h.home, ".ssh", "id_ed25519.pub"), "utf8"));
  sshDir(user, home, [readFileSync(join(keys, "client.pub"), "utf8"), ...runnerKeys].join(""));
  const path = join(home, "remote.git");
  run("runuser", ["-u", user, "--", "git", "init", "-q", "--bare", "-b", "main", path]);
  const hostKey = join(keys, "host-remote");
  run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "remote", "-f", hostKey]);
  const line = `[${address}]:${PORT} ${hostPub(hostKey)}`;
  known.push(line);
  const config = sshdConfig(keys, "remote", address, hostKey, user, "/usr/local/bin:/usr/bin:/bin");
  await startSshd([SSHD, "-D", "-e", "-f", config], made);
  // Each runner user knows the remote's host key, so its git over SSH needs no prompt.
  for (const h of hosts) writeOwned(h.user, join(h.home, ".ssh", "known_hosts"), `${line}\n`, 0o644);
  return { url: `ssh://${user}@${address}:${PORT}${path}`, user, path };
}

function writeSshConfig(dir: string, keys: string, hosts: RunnerHost[], known: string[]): string {
  const knownHosts = join(keys, "known_hosts");
  writeFileSync(knownHosts, `${known.join("\n")}\n`, { mode: 0o600 });
  const blocks = hosts.map((h) =>
    [`Host ${h.name}`, `  HostName ${h.address}`, `  User ${h.user}`, ""].join("\n"),
  );
  const all = [
    "Host *",
    `  Port ${PORT}`,
    `  IdentityFile ${join(keys, "client")}`,
    "  IdentitiesOnly yes",
    `  UserKnownHostsFile ${knownHosts}`,
    "  GlobalKnownHostsFile /dev/null",
    "  StrictHostKeyChecking yes",
    "  BatchMode yes",
    "  ConnectTimeout 20",
    "  LogLevel ERROR",
    "",
  ].join("\n");
  const file = join(dir, "ssh_config");
  writeFileSync(file, `${blocks.join("\n")}\n${all}`, { mode: 0o644 });
  return file;
}

/** Kills every process of `user` (tmux servers, supervisors a test left), by pid. */
function killUser(user: string): void {
  let pids: string;
  try {
    pids = run("ps", ["-o", "pid=", "-u", user]);
  } catch {
    return; // ps exits 1 when the user has no process
  }
  for (const p of pids.split("\n").map((s) => Number(s.trim()))) {
    if (!p) continue;
    try {
      process.kill(p, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

async function teardown(made: Made): Promise<void> {
  for (const child of made.sshd) if (child.exitCode === null) child.kill("SIGTERM");
  await Promise.all(
    made.sshd.map((c) => (c.exitCode === null ? new Promise((r) => c.once("exit", r)) : Promise.resolve())),
  );
  for (const user of made.users) {
    killUser(user);
    // userdel refuses while a process of the user lives: a moment for SIGKILL to land.
    for (let i = 0; i < 50; i++) {
      try {
        run("userdel", [user]);
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }
  for (const ns of made.netns) {
    try {
      for (const p of run(IP as string, ["netns", "pids", ns])
        .split("\n")
        .filter(Boolean)) {
        process.kill(Number(p), "SIGKILL");
      }
      run(IP as string, ["netns", "del", ns]); // also removes the veth pair
    } catch {
      // already gone
    }
  }
  for (const c of made.claims) rmSync(c, { force: true });
  rmSync(made.dir, { recursive: true, force: true });
}
