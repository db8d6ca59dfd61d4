/**
 * Headless conductor runs: `ballador spec draft` and `ballador plan`. The configured conductor
 * profile (its headless variant) runs as a child of this process inside the sandbox, with the
 * repository readable and one place writable: a scratch folder holding the new spec (draft),
 * or the spec's parts folder (plan). Its result is validated as the person's own would be
 * (`spec check`; `queue --dry-run` plus scope overlaps between parts that may run at once),
 * and problems go back to it in a new prompt, a bounded number of times. Each attempt is
 * recorded in the run's folder, `<state>/conductor/<id>/run.json`.
 *
 * Everything the conductor wrote is hostile input: read without following links, checked to
 * be regular files, and copied out by the host (draft) after validation.
 */
import { spawn } from "node:child_process";
import {
  closeSync,
  fstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  renameSync,
  rmdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
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
import { collectPartFiles, loadParts } from "../adapters/files/parts.js";
import { listSpecs, nextSpecNumber, renderSpec, specFromText } from "../adapters/files/specs.js";
import { commonDirOf, git } from "../adapters/git/index.js";
import {
  ConfinedPathError,
  confinedPath,
  pathKind,
  readAgentFile,
  writeConfined,
} from "../adapters/hostile/index.js";
import { buildConfinedPolicy } from "../adapters/sandbox/confined.js";
import { type MaskedSecret, RunSandbox, SandboxUnavailableError } from "../adapters/sandbox/index.js";
import { conductorExitProblem } from "../core/conductor-exit.js";
import type { GuideInput } from "../core/conductor-guide.js";
import { draftPrompt, planPrompt, retryPrompt, type SpecListing } from "../core/conductor-prompt.js";
import { drawTree } from "../core/graph.js";
import { slugify } from "../core/ids.js";
import { draftVerifyProblems } from "../core/part-verify.js";
import { concurrentOverlaps, parallelWaves, type ScopeOverlap } from "../core/plan.js";
import { during, type Progress } from "../core/progress.js";
import { EDITABLE_STATES } from "../core/states.js";
import type { Project } from "../project/index.js";
import { UserError, worktreeRootFor } from "../project/index.js";
import { resolveSecrets, splitSecrets, writeStandInFiles } from "../run/index.js";
import { dryRunProblems, findSpec, MAX_CHAMBER_FILE } from "./conductor-chamber.js";
import { type QueueResult, queueParts } from "./queue.js";
import { checkSpecFile } from "./specs.js";

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

interface Session {
  record: ConductorRecord;
  profile: ResolvedProfile;
  presetName: string | null;
  env: Record<string, string>;
  sandbox: RunSandbox;
  home: string;
}

function guideFor(project: Project): GuideInput {
  return {
    specsDir: relative(project.paths.root, project.paths.specsDir) || ".",
    partsDir: relative(project.paths.root, project.paths.partsDir) || ".",
    verify: project.config.verify,
    defaultAgent: project.config.agents.default,
  };
}

function specListing(project: Project): SpecListing[] {
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

function newId(kind: string, label: string, now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, "").replace(/\..*$/, "").replace("T", "-");
  return `${kind}-${slugify(label, 32)}-${stamp}-${Math.random().toString(36).slice(2, 6)}`;
}

function conductorRunDir(project: Project, id: string): string {
  return join(project.paths.stateDir, "conductor", id);
}

function saveRecord(r: ConductorRecord): void {
  const path = join(r.runDir, "run.json");
  writeFileSync(`${path}.tmp`, `${JSON.stringify(r, null, 2)}\n`);
  renameSync(`${path}.tmp`, path);
}

async function startSession(
  project: Project,
  kind: "plan" | "draft",
  id: string,
  target: string,
  output: string,
  outputEnv: string,
): Promise<Session> {
  if (project.config.sandbox.mode === "none") {
    throw new UserError(
      `the conductor runs only inside the sandbox (its confinement is the point), and sandbox.mode is none in .ballador/config.yaml; set sandbox.mode: bwrap, or write ${kind === "plan" ? "parts" : "the spec"} yourself`,
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
  const runDir = conductorRunDir(project, id);
  const home = join(runDir, "home");
  const tmp = join(runDir, "tmp");
  for (const d of [runDir, home, tmp]) mkdirSync(d, { recursive: true });
  const common = await commonDirOf(project.paths.root);
  const policy = buildConfinedPolicy({
    output: [output],
    runDir,
    home,
    tmp,
    stateDir: project.paths.stateDir,
    worktreeRoot: worktreeRootFor(project.config, project.paths.root),
    gitCommonDir: common,
    allowHosts: [...project.config.sandbox.allow_hosts, ...profile.allowHosts],
    denyRead: project.config.sandbox.deny_read,
    tlsPassthrough: project.config.sandbox.tls_passthrough ?? [],
    upstreamCa: project.config.sandbox.upstream_ca ?? [],
  });
  writeFileSync(join(runDir, "sandbox.json"), `${JSON.stringify(policy, null, 2)}\n`);
  const passed: Record<string, string> = {};
  for (const name of profile.env) {
    const v = host[name];
    if (v !== undefined) passed[name] = v;
  }
  let secrets: Record<string, string>;
  let masked: MaskedSecret[];
  try {
    ({ passed: secrets, masked } = splitSecrets(
      profile.secrets,
      await resolveSecrets({ secrets: profile.secrets }, host),
    ));
  } catch (err) {
    throw new UserError(`conductor: ${(err as Error).message}`);
  }
  let sandbox: RunSandbox;
  try {
    sandbox = await RunSandbox.start(policy, { runDir, tmp, masked });
  } catch (err) {
    if (err instanceof SandboxUnavailableError) throw new UserError(err.message);
    throw err;
  }
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
  // Default-deny, as for task runs: the basics, the profile's variables, nothing of Ballador's state.
  const env: Record<string, string> = {
    PATH: host.PATH ?? "/usr/local/bin:/usr/bin:/bin",
    HOME: home,
    TMPDIR: tmp,
    TERM: host.TERM && host.TERM !== "dumb" ? host.TERM : "xterm-256color",
    LANG: host.LANG ?? "C.UTF-8",
  };
  for (const k of ["USER", "LOGNAME", "SHELL", "TZ", "LC_ALL"]) {
    const v = host[k];
    if (v) env[k] = v;
  }
  Object.assign(env, passed, prepared.env, secrets, {
    BALLADOR_CONDUCTOR: kind,
    BALLADOR_CONDUCTOR_OUTPUT: outputEnv,
  });
  const record: ConductorRecord = {
    id,
    kind,
    profile: profile.name,
    command: [program, ...profile.command.slice(1)].map((a) => (a === "{prompt}" ? "<prompt>" : a)).join(" "),
    runDir,
    target,
    attempts: [],
    outcome: "running",
    outsideChanges: [],
  };
  saveRecord(record);
  return {
    record,
    profile: { ...profile, command: [program, ...profile.command.slice(1)] },
    presetName,
    env,
    sandbox,
    home,
  };
}

/** Runs the conductor once with `prompt`; resolves when it exits (or is killed at its timeout). */
async function runOnce(
  project: Project,
  s: Session,
  n: number,
  prompt: string,
): Promise<Pick<ConductorAttempt, "exitCode" | "timedOut" | "log" | "seconds">> {
  const runDir = s.record.runDir;
  writeFileSync(join(runDir, `prompt-${n}.md`), prompt);
  // The copy the agent may read lives in its TMPDIR: the run folder itself is host-only.
  const promptFile = join(runDir, "tmp", `prompt-${n}.md`);
  writeFileSync(promptFile, prompt);
  let argv = s.profile.command.map((a) =>
    a
      .replaceAll("{prompt}", s.profile.prompt === "arg" ? prompt : "")
      .replaceAll("{prompt_file}", promptFile)
      .replaceAll("{worktree}", project.paths.root)
      .replaceAll("{task}", s.record.id),
  );
  const preset = s.presetName ? PRESETS[s.presetName] : undefined;
  // Later attempts continue the conversation where the agent knows how (its HOME is the same).
  if (n > 1 && preset) argv = withResume(argv, preset) ?? argv;
  const wrapped = await s.sandbox.wrapArgv(argv, project.paths.root);
  const log = join(runDir, `attempt-${n}.log`);
  const fd = openSync(log, "w");
  const started = Date.now();
  try {
    return await new Promise((resolve, reject) => {
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
  } finally {
    closeSync(fd);
  }
}

/** Tracked and untracked files that differ from HEAD, outside `except` (relative to the root). */
async function worktreeState(project: Project, except: string): Promise<Set<string>> {
  const r = await git(["status", "--porcelain=v1", "-uall", "--ignored=no"], {
    cwd: project.paths.root,
    allowFail: true,
  });
  const state = relative(project.paths.root, project.paths.stateDir);
  return new Set(
    r.stdout
      .split("\n")
      .filter(Boolean)
      .filter((l) => {
        const file = l.slice(3);
        return !(file === except || file.startsWith(`${except}/`) || (state && file.startsWith(`${state}/`)));
      }),
  );
}

async function conduct(
  project: Project,
  s: Session,
  maxAttempts: number,
  firstPrompt: string,
  where: string,
  validate: () => { problems: string[]; overlaps: string[] },
  progress?: Progress,
): Promise<ConductorAttempt[]> {
  const before = await worktreeState(project, where);
  let feedback: string[] = [];
  try {
    for (let n = 1; n <= maxAttempts; n++) {
      const resumable = s.presetName ? PRESETS[s.presetName]?.resume !== undefined : false;
      const prompt =
        n === 1
          ? firstPrompt
          : resumable
            ? retryPrompt(n, maxAttempts, feedback, where)
            : `${firstPrompt}\n${retryPrompt(n, maxAttempts, feedback, where)}`;
      const startedAt = new Date().toISOString();
      const ran = await during(
        progress,
        s.record.kind === "draft" ? "spec.draft" : "plan",
        `conductor ${s.record.kind === "draft" ? "drafting" : "planning"} ${s.record.target}, attempt ${n}/${maxAttempts}`,
        () => runOnce(project, s, n, prompt),
      );
      const { problems, overlaps } = validate();
      if (ran.timedOut)
        problems.unshift(`the conductor was stopped after ${s.profile.timeoutMs / 1000} s (timeout)`);
      // A conductor that failed has not drafted or planned anything, whatever its folder holds.
      const exited = conductorExitProblem(
        ran.exitCode,
        ran.timedOut,
        logTail(join(project.paths.root, ran.log)),
      );
      if (exited) problems.unshift(exited);
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

/** A failed draft leaves nothing: not even the specs folder Ballador made for it. */
function removeIfEmpty(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // Not empty (someone wrote there meanwhile): theirs, kept.
  }
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

function finish(s: Session, valid: boolean): void {
  s.record.outcome = valid && s.record.outsideChanges.length === 0 ? "valid" : "invalid";
  const last = s.record.attempts[s.record.attempts.length - 1];
  if (last && s.record.outsideChanges.length > 0) {
    last.problems.push(
      `files outside ${s.record.target} changed during the run: ${s.record.outsideChanges.join(", ")}`,
    );
  }
  saveRecord(s.record);
}

// ---------------------------------------------------------------------------------------------
// spec draft

export interface DraftResult {
  run: ConductorRecord;
  /** The new spec, relative to the root, when the draft passed spec check. */
  path: string | null;
  problems: string[];
}

export async function draftSpec(
  project: Project,
  title: string,
  context: string,
  opts: { attempts?: number; progress?: Progress } = {},
): Promise<DraftResult> {
  if (title.trim() === "")
    throw new UserError('a spec needs a title: ballador spec draft "Data extraction" --context "..."');
  if (context.trim() === "") throw new UserError("--context or --context-file: say what the spec is about");
  const specs = listSpecs(project.paths.specsDir);
  const number = nextSpecNumber(specs);
  const name = `${String(number).padStart(4, "0")}-${slugify(title)}`;
  const madeSpecsDir = pathKind(project.paths.specsDir) === "missing";
  mkdirSync(project.paths.specsDir, { recursive: true });
  const targetRel = relative(project.paths.root, join(project.paths.specsDir, `${name}.md`));
  const target = confinedHost(project, project.paths.specsDir, `${name}.md`);
  if (pathKind(target) !== "missing") throw new UserError(`${targetRel} already exists`);

  // The sandbox opens folders: the one writable place is a fresh folder holding only the new
  // file, a subfolder of the host-only run folder.
  const id = newId("draft", title, new Date());
  const outDir = join(conductorRunDir(project, id), "out");
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `${name}.md`);
  const template = renderSpec({ number, title: title.trim(), date: new Date().toISOString().slice(0, 10) });
  writeFileSync(file, template);
  const s = await startSession(project, "draft", id, targetRel, outDir, file);
  const max = opts.attempts ?? DEFAULT_CONDUCTOR_ATTEMPTS;
  const accepted: { text: string | null } = { text: null };
  const validate = () => {
    accepted.text = null;
    const read = readAgentFile(file, MAX_CHAMBER_FILE);
    if ("problem" in read) return { problems: [`${file} ${read.problem}`], overlaps: [] };
    const others = readdirSync(outDir).filter((e) => e !== `${name}.md`);
    const problems = checkSpecFile(specFromText(target, read.text), targetRel).map(
      (p) => `${p.problem} (fix: ${p.fix})`,
    );
    if (others.length > 0) problems.push(`only ${name}.md belongs in ${outDir}; remove ${others.join(", ")}`);
    problems.push(...draftVerifyProblems(read.text, targetRel));
    if (!/^---\n[\s\S]*?\n---\n/.test(read.text.replace(/\r\n/g, "\n"))) {
      problems.push("the front matter (number, title, status, created) between --- lines is missing");
    }
    // Ballador's own template passes spec check: it is no draft.
    if (read.text === template) problems.push(`the conductor left ${name}.md as Ballador's empty template`);
    if (problems.length === 0) accepted.text = read.text;
    return { problems, overlaps: [] };
  };
  const attempts = await conduct(
    project,
    s,
    max,
    draftPrompt({
      guide: guideFor(project),
      repo: project.paths.root,
      title: title.trim(),
      context,
      specs: specListing(project),
      file,
      name,
    }),
    relative(project.paths.root, outDir),
    validate,
    opts.progress,
  );
  const last = attempts[attempts.length - 1];
  const text = accepted.text;
  const ok = text !== null && (last?.problems.length ?? 1) === 0;
  let path: string | null = null;
  if (ok && s.record.outsideChanges.length === 0) {
    // Copied out by the host: the target is checked again (no link, still free), then written.
    const dest = confinedHost(project, project.paths.specsDir, `${name}.md`);
    if (pathKind(dest) !== "missing")
      throw new UserError(`${targetRel} appeared while the conductor ran; not replaced`);
    writeConfined(project.paths.specsDir, dest, text);
    mkdirSync(join(project.paths.partsDir, name), { recursive: true });
    path = targetRel;
  }
  if (path === null && madeSpecsDir) removeIfEmpty(project.paths.specsDir);
  finish(s, path !== null);
  return { run: s.record, path, problems: last?.problems ?? [] };
}

function confinedHost(project: Project, folder: string, rel: string): string {
  try {
    return confinedPath(project.paths.root, folder, rel, { maxDepth: 2, label: rel });
  } catch (err) {
    if (err instanceof ConfinedPathError) throw new UserError(err.message);
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// plan

export interface PlannedPart {
  id: string;
  title: string;
  path: string;
  needs: string[];
  scope: string[];
  state: string | null;
}

export interface PlanResult {
  run: ConductorRecord;
  spec: string;
  folder: string;
  valid: boolean;
  parts: PlannedPart[];
  waves: string[][];
  overlaps: ScopeOverlap[];
  graph: string;
  problems: string[];
  /** The parts of started tasks the conductor changed, put back as they were. */
  restored: string[];
  queued: QueueResult | null;
}

/** Entries in the folder that are not regular files or folders (links, FIFOs, sockets). */
function oddEntries(dir: string, root: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const full = join(d, e.name);
      if (e.isDirectory()) walk(full);
      else if (!e.isFile()) out.push(relative(root, full));
    }
  };
  walk(dir);
  return out;
}

export async function planSpec(
  project: Project,
  specRef: string,
  opts: { queue?: boolean; attempts?: number; progress?: Progress } = {},
): Promise<PlanResult> {
  const spec = findSpec(project, specRef);
  const specRel = relative(project.paths.root, spec.path);
  mkdirSync(project.paths.partsDir, { recursive: true });
  const folder = confinedHost(project, project.paths.partsDir, spec.name);
  mkdirSync(folder, { recursive: true });
  const folderRel = relative(project.paths.root, folder);
  const states = project.store().stateMap();

  const load = () => {
    const { files } = collectPartFiles([folder], project.paths.root);
    return loadParts(project.paths.root, files);
  };
  // Started tasks' parts are not the conductor's to change: kept here, put back after each attempt.
  const started = new Map<string, { id: string; state: string; text: string }>();
  const before = load().parts;
  // A verify the person wrote before the conductor ran stays theirs; any other is refused.
  const conductor = { personFiles: new Map(before.map((p) => [p.path, p.hash])) };
  const existing = before.map((p) => {
    const state = states.get(p.id) ?? null;
    const isStarted = state !== null && !EDITABLE_STATES.includes(state);
    if (isStarted) {
      const read = readAgentFile(p.absPath, MAX_CHAMBER_FILE);
      if ("text" in read) started.set(p.absPath, { id: p.id, state: state as string, text: read.text });
    }
    return { id: p.id, file: relative(project.paths.root, p.absPath), state, started: isStarted };
  });

  const s = await startSession(
    project,
    "plan",
    newId("plan", spec.name, new Date()),
    folderRel,
    folder,
    folder,
  );
  const restored: string[] = [];
  let overlaps: ScopeOverlap[] = [];
  let hard: string[] = [];
  const validate = () => {
    const problems: string[] = [];
    for (const [abs, keep] of started) {
      const now = readAgentFile(abs, MAX_CHAMBER_FILE);
      if ("text" in now && now.text === keep.text) continue;
      rmSync(abs, { recursive: true, force: true });
      writeConfined(folder, abs, keep.text);
      const rel = relative(project.paths.root, abs);
      if (!restored.includes(rel)) restored.push(rel);
      problems.push(
        `${rel} is the part of task "${keep.id}", which is ${keep.state}: it was put back; do not change or remove it`,
      );
    }
    for (const odd of oddEntries(folder, project.paths.root)) {
      problems.push(
        `${odd} is not a regular file (a link or a special file); only part files belong in ${folderRel}`,
      );
    }
    const { parts } = load();
    if (parts.length === 0) {
      problems.push(`no part files were written in ${folderRel}: write one <id>.md per part there`);
    } else {
      problems.push(...dryRunProblems(project, [folder], conductor));
    }
    for (const p of parts) {
      if (p.spec && p.spec !== specRel)
        problems.push(`${p.path}: spec: "${p.spec}" is not this spec; use spec: ${specRel}`);
    }
    hard = problems;
    overlaps = concurrentOverlaps(parts);
    return { problems, overlaps: overlaps.map((o) => o.message) };
  };
  const prompt = planPrompt({
    guide: guideFor(project),
    repo: project.paths.root,
    spec: { name: spec.name, path: specRel, text: spec.text },
    specs: specListing(project),
    folder,
    existing,
  });
  await conduct(
    project,
    s,
    opts.attempts ?? DEFAULT_CONDUCTOR_ATTEMPTS,
    prompt,
    folderRel,
    validate,
    opts.progress,
  );
  const valid = hard.length === 0 && s.record.outsideChanges.length === 0;
  finish(s, valid);

  const { parts } = load();
  const now = project.store().stateMap();
  const planned: PlannedPart[] = parts.map((p) => ({
    id: p.id,
    title: p.title,
    path: relative(project.paths.root, p.absPath),
    needs: p.needs,
    scope: p.scope,
    state: now.get(p.id) ?? null,
  }));
  let queued: QueueResult | null = null;
  if (valid && opts.queue)
    queued = queueParts(project, [folder], project.paths.root, { actor: "conductor", conductor });
  const after = project.store().stateMap();
  const graph = drawTree(
    planned.map((p) => ({ id: p.id, needs: p.needs, title: p.title, state: after.get(p.id) ?? "planned" })),
  );
  const last = s.record.attempts[s.record.attempts.length - 1];
  return {
    run: s.record,
    spec: specRel,
    folder: folderRel,
    valid,
    parts: planned,
    waves: parallelWaves(planned),
    overlaps,
    graph,
    problems: last?.problems ?? [],
    restored,
    queued,
  };
}
