/**
 * `ballador done | blocked | note` from inside a run. The report goes to the run folder for
 * the supervisor; the agent never writes the task store.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { dirtyFiles, git } from "../adapters/git/index.js";
import { commitOf } from "../adapters/jj/index.js";
import { runShell } from "../adapters/process/shell.js";
import {
  type ReportKind,
  RUN_POINTER,
  type RunSpec,
  readRunSpec,
  runFolder,
  writeReport,
} from "../adapters/runfolder/index.js";
import { UserError } from "../core/errors.js";
import {
  AGENT_REPORT_KINDS,
  type AgentReportKind,
  dirtyRefusal,
  endedRefusal,
  gateRefusal,
  runRefusal,
} from "../core/report-rules.js";

/**
 * The verify gate on `done`: the project's verify command runs here, in the worktree; on
 * failure `done` is refused with the failing output and the agent goes on working. Ballador
 * verifies again on a clean checkout afterwards, so passing here is necessary, not sufficient.
 */
/**
 * The commit the agent's work is at. In a jj workspace (inside the run's sandbox: the agent's own
 * jj, which snapshots the working copy here) the task's change: the working-copy commit when it
 * holds changes, else the one below it.
 */
async function headCommit(spec: RunSpec): Promise<string> {
  if (!spec.sandbox?.jj) return (await git(["rev-parse", "HEAD"], { cwd: spec.worktree })).stdout.trim();
  return commitOf(spec.worktree, "coalesce(@ ~ empty(), @-)", { touchWorkingCopy: true });
}

async function gate(spec: RunSpec): Promise<void> {
  const command = spec.verify as string;
  const commit = await headCommit(spec);
  // The gate's log and result go to the run's inbox: the only part of the run folder an agent writes.
  const log = join(runFolder(spec.runDir).agent.inbox, `gate-${Date.now()}.log`);
  process.stderr.write(`ballador: verifying before done: ${command}\n`);
  const r = await runShell(command, {
    cwd: spec.worktree,
    env: process.env,
    logFile: log,
    label: "verify",
    timeoutMs: spec.verifyTimeoutMs,
  });
  writeReport(spec.runDir, {
    kind: "gate",
    text: "",
    at: new Date().toISOString(),
    gate: { commit, passed: r.code === 0, code: r.code, ms: r.ms, command },
  });
  if (r.code !== 0) {
    const no = gateRefusal({
      command,
      code: r.code,
      signal: r.signal,
      timedOut: r.timedOut,
      log,
      output: r.output,
    });
    throw new UserError(no.message, no.exit, no.details);
  }
}

export async function findOwnRun(cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<RunSpec> {
  let runDir = env.BALLADOR_RUN_DIR && env.BALLADOR_RUN_DIR.length > 0 ? env.BALLADOR_RUN_DIR : null;
  if (!runDir) {
    const r = await git(["rev-parse", "--absolute-git-dir"], { cwd, allowFail: true }).catch(() => null);
    const pointer = r && r.code === 0 ? join(r.stdout.trim(), RUN_POINTER) : null;
    if (pointer && existsSync(pointer)) {
      runDir = (JSON.parse(readFileSync(pointer, "utf8")) as { runDir: string }).runDir;
    }
  }
  if (!runDir || !existsSync(runFolder(runDir).host.spec)) {
    throw new UserError(
      "not inside a Ballador run: this command is for agents, run from a task's worktree (or with BALLADOR_RUN_DIR set by Ballador)",
      2,
    );
  }
  return readRunSpec(runDir);
}

function isAgentReportKind(kind: ReportKind): kind is AgentReportKind {
  return (AGENT_REPORT_KINDS as readonly string[]).includes(kind);
}

export interface ReportResult {
  taskId: string;
  runId: string;
  kind: ReportKind;
  file: string;
}

export async function report(
  cwd: string,
  kind: ReportKind,
  text: string,
  opts: { allowDirty?: boolean; env?: NodeJS.ProcessEnv } = {},
): Promise<ReportResult> {
  const spec = await findOwnRun(cwd, opts.env);
  if (existsSync(runFolder(spec.runDir).host.ended)) {
    const no = endedRefusal(spec.runId);
    throw new UserError(no.message, no.exit);
  }
  const refusal = isAgentReportKind(kind) ? runRefusal(spec.role, kind, text) : null;
  if (refusal) throw new UserError(refusal.message, refusal.exit, refusal.details);
  // In a jj workspace the working copy is a commit: nothing is uncommitted (snapshotted here).
  if (kind === "done" && spec.sandbox?.jj) await headCommit(spec);
  else if (kind === "done" && !opts.allowDirty) {
    const dirty = await dirtyFiles(spec.worktree);
    if (dirty.length > 0) {
      const no = dirtyRefusal(dirty);
      throw new UserError(no.message, no.exit, no.details);
    }
  }
  // A test author's tests must fail on the code as it is: Ballador's own gate checks that, on a
  // clean checkout; a gate here that refuses until verify passes would refuse the very work asked.
  if (kind === "done" && spec.verify && spec.stage?.kind !== "tests") await gate(spec);
  const file = writeReport(spec.runDir, {
    kind,
    text,
    at: new Date().toISOString(),
    ...(opts.allowDirty ? { allowDirty: true } : {}),
  });
  return { taskId: spec.taskId, runId: spec.runId, kind, file };
}

/** What a hook event means for Ballador: the agent waits for a person, or works again. */
const HOOK_EVENTS: Record<string, "waiting" | "moving"> = {
  notification: "waiting",
  stop: "waiting",
  userpromptsubmit: "moving",
  pretooluse: "moving",
};

/**
 * `ballador hook [EVENT]`: called by the agent's own hooks (Claude Code's Notification, Stop,
 * UserPromptSubmit, PreToolUse) from inside the sandbox, with the hook's JSON on stdin. It
 * writes a waiting or moving report to the run's inbox; the supervisor reads it as hostile
 * input (known kind, bounded text) like any report. Unknown events are ignored.
 */
export async function hookReport(
  cwd: string,
  event: string | undefined,
  input: string,
  opts: { env?: NodeJS.ProcessEnv } = {},
): Promise<ReportResult | null> {
  let data: Record<string, unknown> = {};
  try {
    const v: unknown = JSON.parse(input);
    if (typeof v === "object" && v !== null && !Array.isArray(v)) data = v as Record<string, unknown>;
  } catch {
    // no JSON: the event comes from the argument
  }
  const name = (event ?? (typeof data.hook_event_name === "string" ? data.hook_event_name : ""))
    .toLowerCase()
    .replace(/[^a-z]/g, "");
  const kind = HOOK_EVENTS[name];
  if (!kind) return null;
  const spec = await findOwnRun(cwd, opts.env);
  if (existsSync(runFolder(spec.runDir).host.ended)) return null;
  const said =
    typeof data.message === "string"
      ? data.message
      : typeof data.last_assistant_message === "string"
        ? data.last_assistant_message
        : "";
  const text =
    kind === "moving"
      ? ""
      : name === "stop"
        ? `it ended its turn without ballador done or blocked${said ? `: ${said}` : ""}`
        : said || "it waits for input";
  const file = writeReport(spec.runDir, { kind, text: text.slice(0, 2000), at: new Date().toISOString() });
  return { taskId: spec.taskId, runId: spec.runId, kind, file };
}
