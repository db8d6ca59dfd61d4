/**
 * The run folder: everything one run leaves behind, and the only channel between an agent
 * and its supervisor. Agents write report files here; they never touch the task store.
 *   run.json      what the supervisor must do (written by launch)
 *   prompt.md     exactly what the agent was told
 *   session.log   the terminal output of the tmux session
 *   launch.log    bootstrap, hooks and provisioning output
 *   verify.log    verification output
 *   reports/      report files from `ballador done|blocked|note`, one per report
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";

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
  secrets: Record<string, { env: string } | { file: string } | { command: string[] }>;
  /** The sandbox policy, or null when sandbox.mode is none. */
  sandbox: import("../sandbox/index.js").Policy | null;
  home: string;
  tmp: string;
  timeoutMs: number;
  /** No new terminal output and no report for this long: the run is stopped as idle. */
  idleTimeoutMs: number;
  verify: string | null;
  verifyTimeoutMs: number;
  /** For the clean verification checkout. */
  bootstrap: string[];
  copy: string[];
  maxAttempts: number;
  hooks: { after_run: string; on_review: string; on_fail: string };
  stack: boolean;
  /** The reviewer profile that reads verified work before review, or null. */
  reviewer: string | null;
  /** "reviewer" for a reviewer's run: read-only worktree, verdict instead of done. */
  role?: "implementer" | "reviewer";
}

/** approve and changes come from a reviewer run. */
export type ReportKind = "done" | "blocked" | "note" | "approve" | "changes";

export interface Report {
  kind: ReportKind;
  text: string;
  at: string;
  allowDirty?: boolean;
}

export function writeAtomic(path: string, content: string): void {
  const tmp = `${path}.${process.pid}.${randomBytes(3).toString("hex")}.tmp`;
  writeFileSync(tmp, content);
  renameSync(tmp, path);
}

export function writeRunSpec(spec: RunSpec): void {
  mkdirSync(spec.runDir, { recursive: true });
  writeAtomic(join(spec.runDir, "run.json"), `${JSON.stringify(spec, null, 2)}\n`);
}

export function readRunSpec(runDir: string): RunSpec {
  return JSON.parse(readFileSync(join(runDir, "run.json"), "utf8")) as RunSpec;
}

export function writeReport(runDir: string, report: Report): string {
  const dir = join(runDir, "reports");
  mkdirSync(dir, { recursive: true });
  // Names sort by time, so the supervisor handles reports in the order they were made.
  const name = `${Date.now().toString().padStart(15, "0")}-${process.pid}-${randomBytes(3).toString("hex")}.json`;
  writeAtomic(join(dir, name), JSON.stringify(report));
  return name;
}

/** Reports not yet handled, oldest first. Handled ones are moved to reports/handled/. */
export function pendingReports(runDir: string): Array<{ name: string; report: Report }> {
  const dir = join(runDir, "reports");
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .flatMap((name) => {
      try {
        return [{ name, report: JSON.parse(readFileSync(join(dir, name), "utf8")) as Report }];
      } catch {
        return []; // half-written files do not exist (atomic rename); anything else is not ours
      }
    });
}

export function markReportHandled(runDir: string, name: string): void {
  const handled = join(runDir, "reports", "handled");
  mkdirSync(handled, { recursive: true });
  renameSync(join(runDir, "reports", name), join(handled, name));
}

/** Where a worktree remembers its run: inside the worktree's private git dir, never in the tree. */
export const RUN_POINTER = "ballador-run.json";
