/**
 * `ballador runner check [NAME]`: doctor's checks, made on the runner over the system ssh (one
 * POSIX sh script on stdin: node >= 20, git, tmux, bwrap and a real bwrap start, socat, ripgrep,
 * the agent programs of the project's profiles), then home's own Ballador installed there under
 * `<root>/ballador/<version>-<build>/` when it is not yet, and `ballador --version` run there
 * must answer home's version. Everything the runner prints is its say only: parsed as text,
 * bounded, and shown escaped. The result is recorded for usableRunner, passing or not.
 */

import { execFile } from "node:child_process";
import { PRESETS, presetBinary } from "../adapters/agents/presets.js";
import { resolveProfile } from "../adapters/agents/profiles.js";
import { gitSshEnv, runSsh, type SshResult } from "../adapters/ssh/index.js";
import type { RunnerConfig } from "../config/runners-schema.js";
import type { Config } from "../config/schema.js";
import {
  balladorBuild,
  notFound,
  type Project,
  RUNNER_HOLDS_SECRETS,
  type RunnerCheckItem,
  type RunnerRecord,
  remotePath,
  runnerInstallDir,
  writeRunnerRecord,
} from "../project/index.js";
import { VERSION } from "../version.js";
import { bundleTarball } from "./runner-bundle.js";

const TOOLS: Array<{ bin: string; pkg: string; why: string }> = [
  { bin: "git", pkg: "git", why: "worktrees and the code's way home" },
  { bin: "tmux", pkg: "tmux", why: "agents run in tmux sessions" },
  { bin: "bwrap", pkg: "bubblewrap", why: "the sandbox" },
  { bin: "socat", pkg: "socat", why: "the sandbox's network proxy" },
  { bin: "rg", pkg: "ripgrep", why: "the sandbox runtime finds files to protect with it" },
];

const SCRIPTED = "ballador-scripted-agent";

/** Each profile's program (the agent's own name when a preset wraps it), as the runner's PATH would find it. */
function agentPrograms(config: Config): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(config.agents.profiles)) {
    try {
      const profile = resolveProfile(config, name);
      if (!profile.enabled) continue;
      const preset = profile.preset ? PRESETS[profile.preset] : undefined;
      const own = profile.command[0] as string;
      out[name] = preset && own === preset.command[0] ? presetBinary(preset) : own;
    } catch {
      // A profile that does not resolve is doctor's to report, not the runner's.
    }
  }
  return out;
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** The probe: one `key<TAB>value` line per fact. Names are quoted; the runner's answers are data. */
export function probeScript(root: string, programs: string[], remote: string | null): string {
  const dir = remotePath(runnerInstallDir(root));
  // The runner user's own git and ssh reach the remote (its key, its known_hosts), never a prompt.
  const reach = remote
    ? [
        `if command -v git >/dev/null 2>&1; then o=$(GIT_TERMINAL_PROMPT=0 GIT_SSH_COMMAND='ssh -o BatchMode=yes -o ConnectTimeout=20' git ls-remote ${q(remote)} 2>&1 >/dev/null)`,
        // git's first "fatal:" line says why (its last one only "Could not read from remote repository").
        `if [ $? -eq 0 ]; then p remote ok; else p remote "$(printf '%s\\n' "$o" | grep -m 1 '^fatal:' || printf '%s' "$o" | tail -n 1)"; fi; fi`,
      ]
    : [];
  return [
    `D=${dir}`,
    `p() { printf '%s\\t%s\\n' "$1" "$(printf '%s' "$2" | head -n 1 | cut -c1-300)"; }`,
    `for c in node ${TOOLS.map((t) => t.bin).join(" ")}; do p "path.$c" "$(command -v "$c" 2>/dev/null)"; done`,
    `command -v node >/dev/null 2>&1 && p version.node "$(node --version 2>&1)"`,
    `command -v bwrap >/dev/null 2>&1 && p namespaces "$(bwrap --ro-bind / / --unshare-net --unshare-pid --dev /dev --proc /proc echo ok 2>&1)"`,
    ...programs.map((prog, i) => `p agent.${i} "$(command -v ${q(prog)} 2>/dev/null)"`),
    ...reach,
    `[ -f "$D/BUILD" ] && p installed "$(cat "$D/BUILD")"`,
    "exit 0",
    "",
  ].join("\n");
}

function parseProbe(stdout: string): Map<string, string> {
  const facts = new Map<string, string>();
  for (const line of stdout.split("\n").slice(0, 200)) {
    const tab = line.indexOf("\t");
    if (tab > 0) facts.set(line.slice(0, tab), line.slice(tab + 1));
  }
  return facts;
}

/** The checks a probe's facts pass or fail, in doctor's words. */
function toolChecks(facts: Map<string, string>): RunnerCheckItem[] {
  const items: RunnerCheckItem[] = [];
  const nodeVersion = facts.get("version.node") ?? "";
  const major = Number(/^v(\d+)\./.exec(nodeVersion)?.[1] ?? 0);
  items.push(
    !facts.get("path.node")
      ? {
          name: "node",
          ok: false,
          detail: "node not found on the runner's PATH",
          fix: "install Node.js 20 or newer there",
        }
      : major >= 20
        ? { name: "node", ok: true, detail: `Node.js ${nodeVersion.replace(/^v/, "")}` }
        : {
            name: "node",
            ok: false,
            detail: `Node.js ${nodeVersion || "(no version)"} is too old`,
            fix: "install Node.js 20 or newer there",
          },
  );
  for (const t of TOOLS) {
    const path = facts.get(`path.${t.bin}`);
    items.push(
      path
        ? { name: t.bin, ok: true, detail: path }
        : {
            name: t.bin,
            ok: false,
            detail: `${t.bin} not found on the runner's PATH (${t.why})`,
            fix: `apt-get install ${t.pkg} there`,
          },
    );
  }
  if (facts.get("path.bwrap")) {
    items.push(
      facts.get("namespaces") === "ok"
        ? {
            name: "namespaces",
            ok: true,
            detail: "bubblewrap can create user, network and pid namespaces there",
          }
        : {
            name: "namespaces",
            ok: false,
            detail: `bubblewrap cannot create namespaces there: ${facts.get("namespaces") || "no answer"}`,
            fix: "allow unprivileged user namespaces on the runner (sysctl kernel.unprivileged_userns_clone=1); a runner never runs agents without the sandbox",
          },
    );
  }
  return items;
}

const REMOTE_FIX =
  "set runners_remote (ballador runner add NAME --ssh TARGET --remote URL) to a bare repository both reach";

/** runners_remote as the runner reaches it, and as home does (`home`: null when unset). */
function remoteItems(
  remote: string | null,
  facts: Map<string, string>,
  home: string | null,
): RunnerCheckItem[] {
  if (!remote) {
    return [
      {
        name: "remote",
        ok: true,
        warn: true,
        detail: "runners_remote is not set: code has no way to this runner yet",
        fix: REMOTE_FIX,
      },
    ];
  }
  const there = facts.get("remote");
  return [
    there === "ok"
      ? { name: "remote", ok: true, detail: `reaches ${remote}` }
      : failed(
          "remote",
          `cannot reach runners_remote from there: ${there ?? "git missing"}`,
          "give the runner's user a key the remote accepts and its host key in known_hosts, or correct runners_remote",
        ),
    home === null
      ? { name: "remote from home", ok: true, detail: `reaches ${remote}` }
      : failed(
          "remote from home",
          `cannot reach runners_remote from this machine: ${home}`,
          "check git over ssh to it from here (your key, its host key), or correct runners_remote",
        ),
  ];
}

/** Whether home's git reaches the remote: null when it does, else git's last words. */
export function homeReachesRemote(remote: string): Promise<string | null> {
  return new Promise((resolve) => {
    execFile(
      "git",
      ["ls-remote", remote],
      {
        env: { ...process.env, ...gitSshEnv(), GIT_TERMINAL_PROMPT: "0" },
        timeout: 60_000,
        maxBuffer: 16 << 20,
      },
      (err, _stdout, stderr) => {
        const lines = stderr.trim().split("\n");
        resolve(
          err
            ? (lines.find((l) => l.startsWith("fatal:")) ?? lines.pop())?.slice(0, 300) || err.message
            : null,
        );
      },
    );
  });
}

/** Installs home's bundle when the runner lacks this build, then asks that Ballador its version. */
async function installBallador(
  runner: RunnerConfig,
  installed: string | undefined,
  tarball: () => Promise<Buffer>,
): Promise<{ item: RunnerCheckItem; dir: string | null }> {
  const dirPath = runnerInstallDir(runner.root);
  const dir = remotePath(dirPath);
  const build = balladorBuild();
  if (installed !== build) {
    const parent = remotePath(`${runner.root}/ballador`);
    // Unpacked beside, then renamed into place: a cut connection leaves no half-installed folder.
    const script = [
      "umask 077",
      `mkdir -p ${parent} || exit 1`,
      // What an earlier check cut short (its connection lost, its home killed) left behind.
      `find ${parent} -maxdepth 1 -name '.partial-*' -mmin +60 -exec rm -rf {} + ; true`,
      `T=$(mktemp -d ${parent}/.partial-XXXXXX) || exit 1`,
      `tar -xzf - -C "$T" || { rm -rf "$T"; exit 1; }`,
      `printf '%s\\n' ${build} > "$T/BUILD"`,
      `if [ -d ${dir} ]; then rm -rf ${dir}; fi`,
      `mv "$T" ${dir}`,
    ].join(" && ");
    const r = await runSsh(runner.ssh, `sh -c ${q(script)}`, { input: await tarball(), timeoutMs: 600_000 });
    if (r.code !== 0) {
      return {
        item: failed(
          "ballador",
          `installing Ballador there failed: ${lastLine(r)}`,
          "check the runner's disk and its root",
        ),
        dir: null,
      };
    }
  }
  const v = await runSsh(runner.ssh, `node ${dir}/bin/ballador.js --version`, { timeoutMs: 60_000 });
  const answer = v.stdout.trim().split("\n")[0] ?? "";
  if (v.code !== 0 || answer !== VERSION) {
    return {
      item: failed(
        "ballador",
        `Ballador there answers "${answer || lastLine(v)}", home runs ${VERSION}`,
        `run ballador runner check ${runner.name} again`,
      ),
      dir: null,
    };
  }
  return {
    item: {
      name: "ballador",
      ok: true,
      detail: `Ballador ${VERSION} (build ${build}) at ${dirPath}${installed === build ? "" : " (installed now)"}`,
    },
    dir: dirPath,
  };
}

function failed(name: string, detail: string, fix: string): RunnerCheckItem {
  return { name, ok: false, detail, fix };
}

function lastLine(r: SshResult): string {
  return (r.stderr.trim() || r.stdout.trim()).split("\n").pop()?.slice(0, 300) || `exit ${r.code}`;
}

/** Each profile's program as the probe found it (the scripted agent ships with Ballador). */
function agentItems(
  programs: Record<string, string>,
  facts: Map<string, string>,
  record: RunnerRecord,
): RunnerCheckItem[] {
  return Object.entries(programs).map(([profile, program], i) => {
    const found =
      facts.get(`agent.${i}`) ||
      (program === SCRIPTED && record.ballador ? `${record.ballador.dir}/bin/${SCRIPTED}.js` : "");
    record.agents[profile] = found || null;
    return found
      ? { name: `agent ${profile}`, ok: true, detail: `${program} at ${found}` }
      : {
          name: `agent ${profile}`,
          ok: true,
          warn: true,
          detail: `${program} not found there: runs of profile ${profile} are refused on this runner`,
          fix: `install ${program} on the runner`,
        };
  });
}

/** What one runner check is given: the project, the bundle (made once), home's reach of the remote. */
interface CheckInputs {
  project: Project;
  tarball: () => Promise<Buffer>;
  homeReach: string | null;
}

/** Checks one runner, installs Ballador there when needed, and records the outcome. */
export async function checkOneRunner(runner: RunnerConfig, inputs: CheckInputs): Promise<RunnerRecord> {
  const { project, tarball } = inputs;
  const programs = agentPrograms(project.config);
  const remote = project.config.runners_remote ?? null;
  const record: RunnerRecord = {
    name: runner.name,
    ssh: runner.ssh,
    root: runner.root,
    ok: false,
    checked_at: new Date().toISOString(),
    reason: null,
    checks: [],
    ballador: null,
    agents: {},
  };
  const script = probeScript(runner.root, Object.values(programs), remote);
  const probe = await runSsh(runner.ssh, "sh -s", { input: script, timeoutMs: 120_000 });
  if (probe.code !== 0) {
    record.checks.push(
      failed(
        "ssh",
        `ssh ${runner.ssh} failed: ${lastLine(probe)}`,
        "check that `ssh -o BatchMode=yes TARGET true` works from this machine (key, host key, user)",
      ),
    );
  } else {
    const facts = parseProbe(probe.stdout);
    record.checks.push(...toolChecks(facts));
    if (record.checks.find((c) => c.name === "node")?.ok) {
      const { item, dir } = await installBallador(runner, facts.get("installed"), tarball);
      record.checks.push(item);
      if (dir) record.ballador = { version: VERSION, build: balladorBuild(), dir };
    }
    record.checks.push(...remoteItems(remote, facts, inputs.homeReach));
    record.checks.push(...agentItems(programs, facts, record));
  }
  if (runner.secrets_at === "runner")
    record.checks.push({
      name: "secrets",
      ok: true,
      warn: true,
      detail: RUNNER_HOLDS_SECRETS,
      fix: "remove secrets_at to keep the values home",
    });
  const bad = record.checks.find((c) => !c.ok);
  record.ok = !bad;
  record.reason = bad ? `${bad.name}: ${bad.detail}${bad.fix ? ` (fix: ${bad.fix})` : ""}` : null;
  writeRunnerRecord(project.paths.stateDir, record);
  return record;
}

/** `runner check [NAME]`: every runner (or the one named), side by side; the bundle is made once. */
export async function checkRunners(
  project: Project,
  name?: string,
): Promise<{ ok: boolean; runners: RunnerRecord[] }> {
  const all = project.config.runners ?? [];
  const chosen = name === undefined ? all : all.filter((r) => r.name === name);
  if (name !== undefined && chosen.length === 0) {
    const known = all.map((r) => r.name).join(", ") || "none";
    throw notFound(
      "unknown_runner",
      `no runner "${name}" in the config (runners: ${known}); add it with: ballador runner add ${name} --ssh USER@HOST`,
    );
  }
  let made: Promise<Buffer> | null = null;
  const tarball = () => {
    made ??= bundleTarball();
    return made;
  };
  const remote = project.config.runners_remote ?? null;
  const homeReach = remote && chosen.length > 0 ? await homeReachesRemote(remote) : null;
  const runners = await Promise.all(chosen.map((r) => checkOneRunner(r, { project, tarball, homeReach })));
  return { ok: runners.every((r) => r.ok), runners };
}
