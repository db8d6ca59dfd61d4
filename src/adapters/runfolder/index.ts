/**
 * The run folder: everything one run leaves behind. It is split along the trust boundary.
 *
 * Host-only (the sandbox may read it, never write it): run.json (what the supervisor must do,
 * read once at its start), prompt.md, session.log, launch.log, verify.log, hooks.log,
 * denials.jsonl, sandbox.json, brief.md, ended, step.pgid, answers/ (the report desk's answers to
 * the agent, spec 0018), the clean verification checkout and the judge's HOME and TMPDIR
 * (judge-XXXXXX/, made empty for one verification, then removed).
 *
 * Agent-writable, each a direct child of the host-only folder (so the sandbox, which binds each
 * one on its own, can fill it but never replace it with a link):
 *   inbox/     report files from `ballador done|blocked|note|approve|request-changes`
 *   home/      the run's HOME        tmp/   its TMPDIR
 *   objects/   the git objects the run writes (adopted after checks when it ends)
 *   refs/      a per-run copy of the folder holding the task's branch ref, bound over the real
 *              one inside the sandbox; the host reads back only the task's own ref from it
 *   reflogs/   the same for the reflog folder (never read back)
 * Host code never takes instructions from these: it reads report files as data (regular files
 * only, no links), and writes nothing there by name.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "../../config/schema.js";
import type { Pipeline } from "../../core/pipeline.js";
import type { SecretSpec } from "../../core/secrets.js";
import { readUntrusted, UntrustedPathError, unlinkUntrusted } from "../hostile/index.js";
import { ANSWERS_DIR } from "./requests.js";

export { DENIALS_FILE, type Denial, readDenials, recordDenial } from "./denials.js";
export {
  type AgentRequest,
  ANSWERS_DIR,
  type CheckResult,
  parseCheck,
  parseRequest,
  takeAck,
  takeDeskFiles,
} from "./requests.js";

export interface RunSpec {
  runId: string;
  taskId: string;
  attempt: number;
  profile: string;
  worktree: string;
  branch: string;
  base: string;
  /** The project's base (config), whose verify script judges every branch. */
  projectBase: string;
  repoRoot: string;
  stateDir: string;
  runDir: string;
  /** argv of the agent after placeholder expansion; the seam a sandbox wraps. */
  command: string[];
  prompt: "arg" | "file" | "stdin";
  promptFile: string;
  /** The run's base environment (no secrets: this file is on disk). */
  env: Record<string, string>;
  /** Host variables passed by name; their values reach the supervisor through tmux, never a file. */
  passEnv: string[];
  /** Secret sources by variable name; values are resolved by the supervisor at spawn time. */
  secrets: Record<string, SecretSpec>;
  /** The sandbox policy, or null when sandbox.mode is none. */
  sandbox: import("../sandbox/index.js").Policy | null;
  home: string;
  tmp: string;
  timeoutMs: number;
  /** No new terminal output and no report for this long: the run is stopped as idle. */
  idleTimeoutMs: number;
  /** After a refused done, this long without new output starts the next attempt. */
  refusedIdleMs?: number;
  verify: string | null;
  verifyTimeoutMs: number;
  /** For the clean verification checkout. */
  bootstrap: string[];
  copy: string[];
  /** `verify_inputs:` (null or absent, as in older run files: the defaults). */
  verifyInputs?: string[] | null;
  maxAttempts: number;
  hooks: { after_run: string; on_review: string; on_fail: string };
  stack: boolean;
  /** The reviewer profile that reads verified work before review, or null. */
  reviewer: string | null;
  /** "reviewer" for a reviewer's run: read-only worktree, verdict instead of done. */
  role?: "implementer" | "reviewer";
  /** The needs-you policy (issue 15); absent in run files written before it. */
  needsYou?: NeedsYouPolicy;
  /** `update`: commits the branch must contain before its work is verified (absent: none). */
  mustContain?: string[];
  /** The task's budget and the prices to judge it (issue 15); absent in older run files. */
  budget?: { tokens?: number; usd?: number };
  prices?: Record<string, { input: number; output: number; cache_read?: number; cache_write?: number }>;
  /** The pipeline stage this run plays (issue 16); absent without a pipeline. */
  stage?: RunStage;
  /**
   * The run's plan (issue 30): what provisioning resolved, kept for the run's whole life (its
   * retries, fallbacks, stages and reviewer) whatever happens to the config meanwhile. Absent in
   * run files written before it: such a run plans with the config as it then stands.
   */
  plan?: RunPlan;
}

export interface RunPlan {
  /** The configuration as provisioning read it: profiles and their fallbacks, reviewer, roles, limits. */
  config: Config;
  /** The task's pipeline as resolved then; null without one. */
  pipeline: Pipeline | null;
}

export interface RunStage {
  index: number;
  count: number;
  role: string;
  kind: "tests" | "build" | "refactor" | "audit";
}

export interface NeedsYouPolicy {
  /** Quiet this long with a question on screen (the pattern): the agent needs you; 0: never. */
  quietMs: number;
  /** Waiting this long: the nudge is typed into its terminal (once); 0: never. */
  nudgeAfterMs: number;
  nudge: string;
  /** The question pattern (a regular expression source) for the screen. */
  pattern: string;
  /** The tmux socket of the run's session (for capture-pane and send-keys). */
  tmuxSocket: string;
}

/** The agent-writable children of a run folder. */
export const AGENT_DIRS = ["inbox", "home", "tmp", "objects", "refs", "reflogs", "jjops"] as const;

/**
 * A run folder's paths by whose they are (issue 30): `host` is written only by Ballador (the
 * sandbox may read some of it); `agent` is agent-writable, hostile input for the host: read
 * only as data, through the link-safe doors (adapters/hostile).
 */
export interface RunFolder {
  dir: string;
  host: {
    /** run.json: the run spec. */
    spec: string;
    /** provision.json: what launch claimed, for the session to provision. */
    provision: string;
    prompt: string;
    sessionLog: string;
    launchLog: string;
    verifyLog: string;
    hooksLog: string;
    brief: string;
    /** Written when the run ended (reconcile's sign that nothing is left to do). */
    ended: string;
    stepPid: string;
    policy: string;
    /** Where the ref copy of the running sandboxed step started (refcopy.json). */
    refCopy: string;
    /**
     * plan.json: the run's plan, apart from run.json because the agent reads run.json and the
     * plan holds the whole config (a notification webhook is a credential). Never in the sandbox.
     */
    plan: string;
    /** A jj run's keep refs (refs/jj) its copy was seeded with, for the step's end. */
    jjKeep: string;
    /** answers/: the supervisor's answers to the report helper's requests (readable inside). */
    answers: string;
  };
  agent: {
    inbox: string;
    home: string;
    tmp: string;
    objects: string;
    refs: string;
    reflogs: string;
    /** A jj run's copies of the operation store (jj adapter's op-store.ts). */
    jjops: string;
  };
}

export function runFolder(runDir: string): RunFolder {
  const at = (name: string) => join(runDir, name);
  return {
    dir: runDir,
    host: {
      spec: at("run.json"),
      provision: at("provision.json"),
      prompt: at("prompt.md"),
      sessionLog: at("session.log"),
      launchLog: at("launch.log"),
      verifyLog: at("verify.log"),
      hooksLog: at("hooks.log"),
      brief: at("brief.md"),
      ended: at("ended"),
      stepPid: at("step.pgid"),
      policy: at("sandbox.json"),
      refCopy: at("refcopy.json"),
      jjKeep: at("jj-keep.json"),
      plan: at("plan.json"),
      answers: at(ANSWERS_DIR),
    },
    agent: {
      inbox: at("inbox"),
      home: at("home"),
      tmp: at("tmp"),
      objects: at("objects"),
      refs: at("refs"),
      reflogs: at("reflogs"),
      jjops: at("jjops"),
    },
  };
}

/** Makes the host-only run folder and its agent-writable children (before any sandbox exists). */
export function makeRunFolder(runDir: string): RunFolder {
  const folder = runFolder(runDir);
  mkdirSync(runDir, { recursive: true });
  for (const d of AGENT_DIRS) mkdirSync(folder.agent[d], { recursive: true });
  mkdirSync(folder.host.answers, { recursive: true });
  return folder;
}

/**
 * approve and changes come from a reviewer run; gate is the result of `done`'s verify gate;
 * waiting and moving come from the agent's own hooks (`ballador hook`): it waits for a person,
 * or it works again.
 */
export type ReportKind = "done" | "blocked" | "note" | "approve" | "changes" | "gate" | "waiting" | "moving";

export interface GateResult {
  commit: string;
  passed: boolean;
  code: number | null;
  ms: number;
  command: string;
}

export interface Report {
  kind: ReportKind;
  text: string;
  at: string;
  allowDirty?: boolean;
  gate?: GateResult;
}

/** Host-side writes into the host-only folder (never an agent-writable one). */
export function writeAtomic(path: string, content: string): void {
  const tmp = `${path}.${process.pid}.${randomBytes(3).toString("hex")}.tmp`;
  writeFileSync(tmp, content, { flag: "wx" });
  renameSync(tmp, path);
}

export function writeRunSpec(spec: RunSpec): void {
  mkdirSync(spec.runDir, { recursive: true });
  const { plan, ...agentReadable } = spec;
  const paths = runFolder(spec.runDir).host;
  // The plan first: a reader that finds the run file finds its plan.
  if (plan) writeAtomic(paths.plan, `${JSON.stringify(plan, null, 2)}\n`);
  writeAtomic(paths.spec, `${JSON.stringify(agentReadable, null, 2)}\n`);
}

/**
 * What the launcher claimed and checked, handed to the task's own session, which provisions
 * the worktree, copies, bootstraps and then becomes the run's supervisor. Nothing secret: the
 * values of passed variables travel through tmux's memory, as for the run spec.
 */
export interface ProvisionSpec {
  runId: string;
  taskId: string;
  attempt: number;
  profile: string;
  /** The agent's program, found on the launcher's PATH. */
  program: string;
  worktree: string;
  branch: string;
  /** The branch or revision the worktree starts from, and the commit it resolved to. */
  base: string;
  baseCommit: string;
  /** Stacking: more dependency branches merged in after the base. */
  merge: string[];
  worktreeExisted: boolean;
  branchExisted: boolean;
  repoRoot: string;
  stateDir: string;
  runDir: string;
  session: string;
  /** The run's base environment (default-deny: PATH, HOME, TERM, LANG, identity). */
  env: Record<string, string>;
  /** The person's HOME, whose agent settings seed the run's own. */
  realHome: string;
  previousFailure: string | null;
  /** Continue the agent's previous conversation (same worktree, same agent). */
  resume: boolean;
  previousRunDir: string | null;
  actor: string;
  /** When the launcher claimed the run. */
  claimedAt: string;
}

export function writeProvisionSpec(spec: ProvisionSpec): void {
  writeAtomic(runFolder(spec.runDir).host.provision, `${JSON.stringify(spec, null, 2)}\n`);
}

export function readProvisionSpec(runDir: string): ProvisionSpec | null {
  const path = runFolder(runDir).host.provision;
  if (!existsSync(path)) return null;
  return JSON.parse(readFileSync(path, "utf8")) as ProvisionSpec;
}

/** The run file as the agent may read it: without the plan (see readRunPlan). */
export function readRunSpec(runDir: string): RunSpec {
  return JSON.parse(readFileSync(runFolder(runDir).host.spec, "utf8")) as RunSpec;
}

/**
 * Host side: the run file with its plan. A run file written before plans has none (it plans
 * with the config as it then stands); a plan file that is there but unreadable is an error, never
 * a silent switch to today's config.
 */
export function readPlannedRunSpec(runDir: string): RunSpec {
  const spec = readRunSpec(runDir);
  const file = runFolder(runDir).host.plan;
  if (!existsSync(file)) return spec;
  return { ...spec, plan: JSON.parse(readFileSync(file, "utf8")) as RunPlan };
}

/** Agent side: a report file in the run's inbox. */
let reportSeq = 0;

export function writeReport(runDir: string, report: Report): string {
  const dir = runFolder(runDir).agent.inbox;
  mkdirSync(dir, { recursive: true });
  // Names sort by time, so the supervisor handles reports in the order they were made; within
  // one millisecond of one process (a gate, then its done) by a counter, never by chance.
  reportSeq = (reportSeq + 1) & 0xffff;
  const order = `${reportSeq.toString(16).padStart(4, "0")}${randomBytes(1).toString("hex")}`;
  const name = `${Date.now().toString().padStart(15, "0")}-${process.pid}-${order}.json`;
  const tmp = join(dir, `.${name}.tmp`);
  writeFileSync(tmp, JSON.stringify(report), { flag: "wx" });
  renameSync(tmp, join(dir, name));
  return name;
}

const REPORT_NAME = /^\d{15}-\d{1,10}-[0-9a-f]{6}\.json$/;
const KINDS: readonly string[] = [
  "done",
  "blocked",
  "note",
  "approve",
  "changes",
  "gate",
  "waiting",
  "moving",
];

/** A report as the host accepts it: known kind, bounded text; anything else is not a report. */
export function parseReport(raw: string): Report | null {
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    return null;
  }
  if (typeof v !== "object" || v === null) return null;
  const r = v as Record<string, unknown>;
  if (typeof r.kind !== "string" || !KINDS.includes(r.kind)) return null;
  const report: Report = {
    kind: r.kind as ReportKind,
    text: typeof r.text === "string" ? r.text.slice(0, 20_000) : "",
    at: typeof r.at === "string" ? r.at.slice(0, 40) : "",
  };
  if (r.allowDirty === true) report.allowDirty = true;
  if (r.kind === "gate") {
    const g = r.gate as Record<string, unknown> | undefined;
    if (
      !g ||
      typeof g.commit !== "string" ||
      !/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(g.commit) ||
      typeof g.passed !== "boolean" ||
      typeof g.ms !== "number" ||
      typeof g.command !== "string"
    )
      return null;
    report.gate = {
      commit: g.commit,
      passed: g.passed,
      code: typeof g.code === "number" ? g.code : null,
      ms: Math.max(0, Math.round(g.ms)),
      command: g.command.slice(0, 2000),
    };
  }
  return report;
}

/**
 * Host side: the reports in the inbox, oldest first. Only files named as `writeReport` names
 * them, regular, not links, at most 1 MiB; each is removed once read (the store keeps what it
 * said), so nothing is ever written into the inbox by the host.
 */
export function takeReports(runDir: string): Report[] {
  const dir = runFolder(runDir).agent.inbox;
  let names: string[];
  try {
    names = readdirSync(dir)
      .filter((n) => REPORT_NAME.test(n))
      .sort();
  } catch {
    return [];
  }
  const out: Report[] = [];
  const seen = refused.get(runDir) ?? new Set<string>();
  refused.set(runDir, seen);
  for (const name of names) {
    if (seen.has(name)) continue;
    let raw: Buffer | null = null;
    try {
      raw = readUntrusted(dir, name, 1024 * 1024);
      unlinkUntrusted(dir, name);
    } catch (err) {
      if (!(err instanceof UntrustedPathError)) throw err;
      // Not a report (a link, a FIFO, a folder): left where it is, never looked at again.
      seen.add(name);
      try {
        unlinkUntrusted(dir, name);
      } catch {
        // a folder: stays
      }
      continue;
    }
    const report = raw ? parseReport(raw.toString("utf8")) : null;
    if (report) out.push(report);
  }
  return out;
}

/** Names in an inbox that were not reports, per run folder (this process's memory only). */
const refused = new Map<string, Set<string>>();

/** Where a worktree remembers its run: inside the worktree's private git dir, never in the tree. */
export const RUN_POINTER = "ballador-run.json";
