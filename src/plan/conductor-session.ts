/**
 * The headless conductor session shared by `ballador spec draft` (conductor-draft.ts) and
 * `ballador plan` (conductor-plan.ts). The configured conductor profile (its headless variant)
 * runs as a child of this process inside the sandbox, with the repository readable and one
 * place writable. Its result is validated by the caller, and problems go back to it in a new
 * prompt, a bounded number of times. Each attempt is recorded in the run's folder,
 * `<state>/conductor/<id>/run.json`.
 *
 * Everything the conductor wrote is hostile input: read without following links, checked to
 * be regular files, and copied out by the host (draft) after validation.
 */
import { spawn } from "node:child_process";
import { closeSync, fstatSync, mkdirSync, openSync, readSync, renameSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, relative } from "node:path";
import { prepareAgentHome } from "../adapters/agents/home.js";
import { PRESETS, withResume } from "../adapters/agents/presets.js";
import {
  findProgram,
  ProfileError,
  type ResolvedProfile,
  resolveProfile,
} from "../adapters/agents/profiles.js";
import { listSpecs } from "../adapters/files/specs.js";
import { commonDirOf, git, ownGitStore } from "../adapters/git/index.js";
import { workingCopyChanges } from "../adapters/jj/index.js";
import {
  buildConfinedPolicy,
  type MaskedSecret,
  RunSandbox,
  SandboxUnavailableError,
} from "../adapters/sandbox/index.js";
import { conductorExitProblem } from "../core/conductor-exit.js";
import type { SpecListing } from "../core/conductor-prompt.js";
import {
  attemptPrompt,
  changesOutside,
  conductorArgv,
  conductorBaseEnv,
  conductorRunId,
  shownCommand,
} from "../core/conductor-session.js";
import { slugify } from "../core/ids.js";
import { during, type Progress } from "../core/progress.js";
import type { Project } from "../project/index.js";
import { UserError, worktreeRootFor } from "../project/index.js";
import { resolveSecrets, splitSecrets, writeStandInFiles } from "../run/index.js";

export const DEFAULT_CONDUCTOR_ATTEMPTS = 3;

export interface ConductorAttempt {
  n: number;
  startedAt: string;
  seconds: number;
  exitCode: number | null;
  timedOut: boolean;
  /** Problems sent back (or reported, after the last attempt). */
  problems: string[];
  /** Scope overlaps between parts that may run at once (plan). */
  overlaps: string[];
  log: string;
}

export interface ConductorRecord {
  id: string;
  kind: "plan" | "draft";
  profile: string;
  command: string;
  runDir: string;
  target: string;
  attempts: ConductorAttempt[];
  outcome: "running" | "valid" | "invalid";
  /** Files outside the writable place that changed during the run (the sandbox should make this empty). */
  outsideChanges: string[];
}

export interface ConductorSession {
  record: ConductorRecord;
  profile: ResolvedProfile;
  presetName: string | null;
  env: Record<string, string>;
  sandbox: RunSandbox;
  home: string;
}

/** What one session is for: its kind, id, what it makes (`target`) and its one writable place. */
export interface SessionTarget {
  kind: "plan" | "draft";
  id: string;
  target: string;
  /** The folder the sandbox lets it write. */
  output: string;
  /** What BALLADOR_CONDUCTOR_OUTPUT tells it (the file to write, or the folder). */
  outputEnv: string;
}

/** What the caller's check of an attempt found. */
export type Validate = () => { problems: string[]; overlaps: string[] };

export function specListing(project: Project): SpecListing[] {
  return listSpecs(project.paths.specsDir).map((s) => ({
    name: s.name,
    title: s.title,
    status: s.status,
    path: relative(project.paths.root, s.path),
  }));
}

/** The conductor profile, switched to its preset's headless variant when there is one. */
export function conductorProfile(project: Project): { profile: ResolvedProfile; presetName: string | null } {
  const name = project.config.conductor ?? project.config.agents.default;
  let profile: ResolvedProfile;
  try {
    profile = resolveProfile(project.config, name);
  } catch (err) {
    if (err instanceof ProfileError) throw new UserError(`conductor: ${err.message}`);
    throw err;
  }
  let presetName = profile.preset;
  const own = project.config.agents.profiles[name];
  if (presetName && !presetName.endsWith("-headless") && !own?.command) {
    const headless = `${presetName}-headless`;
    const preset = PRESETS[headless];
    if (preset) {
      profile = { ...profile, command: preset.command, prompt: own?.prompt ?? preset.prompt };
      presetName = headless;
    }
  }
  const mode = presetName ? PRESETS[presetName]?.mode : undefined;
  if (mode === "interactive") {
    throw new UserError(
      `conductor: profile "${name}" (preset ${presetName}) is interactive and has no headless variant; set conductor: to a headless profile in .ballador/config.yaml`,
    );
  }
  return { profile, presetName };
}

export function newConductorRunId(kind: string, label: string, now: Date): string {
  return conductorRunId(kind, slugify(label, 32), now, Math.random().toString(36).slice(2, 6));
}

export function conductorRunDir(project: Project, id: string): string {
  return join(project.paths.stateDir, "conductor", id);
}

function saveRecord(r: ConductorRecord): void {
  const path = join(r.runDir, "run.json");
  writeFileSync(`${path}.tmp`, `${JSON.stringify(r, null, 2)}\n`);
  renameSync(`${path}.tmp`, path);
}

/** Starts the sandbox and seeds the conductor's home: the session its attempts run in. */
export async function startSession(project: Project, t: SessionTarget): Promise<ConductorSession> {
  if (project.config.sandbox.mode === "none") {
    throw new UserError(
      `the conductor runs only inside the sandbox (its confinement is the point), and sandbox.mode is none in .ballador/config.yaml; set sandbox.mode: bwrap, or write ${t.kind === "plan" ? "parts" : "the spec"} yourself`,
    );
  }
  const { profile, presetName } = conductorProfile(project);
  const host = process.env;
  const program = findProgram(profile.command[0] as string, project.paths.root, host);
  if (!program) {
    throw new UserError(
      `conductor: profile "${profile.name}" starts ${profile.command[0]}, which is not on PATH; install it or set conductor: to another profile`,
    );
  }
  const runDir = conductorRunDir(project, t.id);
  const home = join(runDir, "home");
  const tmp = join(runDir, "tmp");
  for (const d of [runDir, home, tmp]) mkdirSync(d, { recursive: true });
  const policy = await writePolicy(project, profile, t.output, runDir, home, tmp);
  const passed: Record<string, string> = {};
  for (const name of profile.env) {
    const v = host[name];
    if (v !== undefined) passed[name] = v;
  }
  const { secrets, masked } = await conductorSecrets(profile);
  const sandbox = await startSandbox(policy, runDir, tmp, masked);
  // Masked secrets: the conductor, and its seeded home, hold only their stand-ins.
  Object.assign(secrets, sandbox.standIns());
  writeStandInFiles(home, sandbox.standInFiles());
  const prepared = await prepareAgentHome(profile, {
    home,
    realHome: host.HOME ?? homedir(),
    worktree: project.paths.root,
    sandboxed: true,
    env: { ...passed, ...secrets },
  });
  const env = Object.assign(conductorBaseEnv(host, home, tmp), passed, prepared.env, secrets, {
    BALLADOR_CONDUCTOR: t.kind,
    BALLADOR_CONDUCTOR_OUTPUT: t.outputEnv,
  });
  const command = [program, ...profile.command.slice(1)];
  const record: ConductorRecord = {
    id: t.id,
    kind: t.kind,
    profile: profile.name,
    command: shownCommand(command),
    runDir,
    target: t.target,
    attempts: [],
    outcome: "running",
    outsideChanges: [],
  };
  saveRecord(record);
  return { record, profile: { ...profile, command }, presetName, env, sandbox, home };
}

/** The sandbox's policy: the repository readable, `output` the one writable place; kept in the run folder. */
async function writePolicy(
  project: Project,
  profile: ResolvedProfile,
  output: string,
  runDir: string,
  home: string,
  tmp: string,
): Promise<ReturnType<typeof buildConfinedPolicy>> {
  const sandbox = project.config.sandbox;
  const policy = buildConfinedPolicy({
    output: [output],
    runDir,
    home,
    tmp,
    stateDir: project.paths.stateDir,
    worktreeRoot: worktreeRootFor(project.config, project.paths.root),
    gitCommonDir: await commonDirOf(project.paths.root),
    allowHosts: [...sandbox.allow_hosts, ...profile.allowHosts],
    denyRead: sandbox.deny_read,
    tlsPassthrough: sandbox.tls_passthrough ?? [],
    upstreamCa: sandbox.upstream_ca ?? [],
  });
  writeFileSync(join(runDir, "sandbox.json"), `${JSON.stringify(policy, null, 2)}\n`);
  return policy;
}

/** The profile's secrets: those it passes, and those the sandbox's proxy masks. */
async function conductorSecrets(
  profile: ResolvedProfile,
): Promise<{ secrets: Record<string, string>; masked: MaskedSecret[] }> {
  try {
    const { passed, masked } = splitSecrets(
      profile.secrets,
      await resolveSecrets({ secrets: profile.secrets }, process.env),
    );
    return { secrets: passed, masked };
  } catch (err) {
    throw new UserError(`conductor: ${(err as Error).message}`);
  }
}

async function startSandbox(
  policy: ReturnType<typeof buildConfinedPolicy>,
  runDir: string,
  tmp: string,
  masked: MaskedSecret[],
): Promise<RunSandbox> {
  try {
    return await RunSandbox.start(policy, { runDir, tmp, masked });
  } catch (err) {
    if (err instanceof SandboxUnavailableError) throw new UserError(err.message);
    throw err;
  }
}

type Ran = Pick<ConductorAttempt, "exitCode" | "timedOut" | "log" | "seconds">;

/** Runs the conductor once with `prompt`; resolves when it exits (or is killed at its timeout). */
async function runOnce(project: Project, s: ConductorSession, n: number, prompt: string): Promise<Ran> {
  const runDir = s.record.runDir;
  writeFileSync(join(runDir, `prompt-${n}.md`), prompt);
  // The copy the agent may read lives in its TMPDIR: the run folder itself is host-only.
  const promptFile = join(runDir, "tmp", `prompt-${n}.md`);
  writeFileSync(promptFile, prompt);
  let argv = conductorArgv(s.profile.command, {
    prompt,
    promptBy: s.profile.prompt,
    promptFile,
    root: project.paths.root,
    id: s.record.id,
  });
  const preset = s.presetName ? PRESETS[s.presetName] : undefined;
  // Later attempts continue the conversation where the agent knows how (its HOME is the same).
  if (n > 1 && preset) argv = withResume(argv, preset) ?? argv;
  const wrapped = await s.sandbox.wrapArgv(argv, project.paths.root);
  const log = join(runDir, `attempt-${n}.log`);
  const fd = openSync(log, "w");
  try {
    return await runChild(project, s, wrapped, prompt, fd, log);
  } finally {
    closeSync(fd);
  }
}

/** The sandboxed child, its output to `fd`, killed (with its group) at the profile's timeout. */
function runChild(
  project: Project,
  s: ConductorSession,
  wrapped: { file: string; args: string[] },
  prompt: string,
  fd: number,
  log: string,
): Promise<Ran> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(wrapped.file, wrapped.args, {
      cwd: project.paths.root,
      env: s.env,
      stdio: [s.profile.prompt === "stdin" ? "pipe" : "ignore", fd, fd],
      detached: true,
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-(child.pid as number), "SIGKILL");
      } catch {
        child.kill("SIGKILL");
      }
    }, s.profile.timeoutMs);
    if (child.stdin) {
      child.stdin.on("error", () => {});
      child.stdin.end(prompt);
    }
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({
        exitCode: code,
        timedOut,
        log: relative(project.paths.root, log),
        seconds: Math.round((Date.now() - started) / 100) / 10,
      });
    });
  });
}

/** Tracked and untracked files that differ from HEAD, outside `except` (relative to the root). */
async function worktreeState(project: Project, except: string): Promise<Set<string>> {
  const root = project.paths.root;
  const stateDir = relative(root, project.paths.stateDir);
  // A jj repository with its own git store has no git work tree: jj names the changes.
  if (ownGitStore(root) !== null) return changesOutside(await workingCopyChanges(root), except, stateDir);
  const r = await git(["status", "--porcelain=v1", "-uall", "--ignored=no"], { cwd: root, allowFail: true });
  return changesOutside(r.stdout, except, stateDir);
}

/**
 * Runs the attempts: each is validated, and its problems go back in the next prompt, until one
 * has none or `maxAttempts` ran. Files changed outside `where` meanwhile are recorded.
 */
export async function conduct(
  project: Project,
  s: ConductorSession,
  maxAttempts: number,
  firstPrompt: string,
  where: string,
  validate: Validate,
  progress?: Progress,
): Promise<ConductorAttempt[]> {
  const before = await worktreeState(project, where);
  let feedback: string[] = [];
  try {
    for (let n = 1; n <= maxAttempts; n++) {
      const resumable = s.presetName ? PRESETS[s.presetName]?.resume !== undefined : false;
      const prompt = attemptPrompt(n, maxAttempts, firstPrompt, feedback, where, resumable);
      const startedAt = new Date().toISOString();
      const ran = await during(
        progress,
        s.record.kind === "draft" ? "spec.draft" : "plan",
        `conductor ${s.record.kind === "draft" ? "drafting" : "planning"} ${s.record.target}, attempt ${n}/${maxAttempts}`,
        () => runOnce(project, s, n, prompt),
      );
      const { problems, overlaps } = judgeAttempt(project, s, ran, validate);
      s.record.attempts.push({ n, startedAt, ...ran, problems, overlaps });
      saveRecord(s.record);
      feedback = [...problems, ...overlaps];
      if (feedback.length === 0) break;
    }
  } finally {
    await RunSandbox.stopAll();
  }
  const after = await worktreeState(project, where);
  s.record.outsideChanges = [...after].filter((x) => !before.has(x));
  return s.record.attempts;
}

/** The caller's findings, after a timeout's and a failed exit's (which planned nothing, whatever it wrote). */
function judgeAttempt(
  project: Project,
  s: ConductorSession,
  ran: Ran,
  validate: Validate,
): { problems: string[]; overlaps: string[] } {
  const { problems, overlaps } = validate();
  if (ran.timedOut)
    problems.unshift(`the conductor was stopped after ${s.profile.timeoutMs / 1000} s (timeout)`);
  const exited = conductorExitProblem(ran.exitCode, ran.timedOut, logTail(join(project.paths.root, ran.log)));
  if (exited) problems.unshift(exited);
  return { problems, overlaps };
}

/** The end of an attempt's log (written by the host, in the host-only run folder). */
function logTail(path: string, bytes = 16_384): string {
  let fd: number | undefined;
  try {
    fd = openSync(path, "r");
    const size = fstatSync(fd).size;
    const buf = Buffer.alloc(Math.min(size, bytes));
    readSync(fd, buf, 0, buf.length, size - buf.length);
    return buf.toString("utf8");
  } catch {
    return "";
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** The run's outcome: valid only when its last check passed and nothing outside changed. */
export function finish(s: ConductorSession, valid: boolean): void {
  s.record.outcome = valid && s.record.outsideChanges.length === 0 ? "valid" : "invalid";
  const last = s.record.attempts[s.record.attempts.length - 1];
  if (last && s.record.outsideChanges.length > 0) {
    last.problems.push(
      `files outside ${s.record.target} changed during the run: ${s.record.outsideChanges.join(", ")}`,
    );
  }
  saveRecord(s.record);
}
