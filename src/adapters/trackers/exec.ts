/**
 * One program run for a tracker: argv (or the person's shell command), JSON on stdin, bounded
 * output and time, its own process group so a timeout ends everything it started.
 */
import { spawn } from "node:child_process";

export interface ExecResult {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** The output passed the bound and was cut off (the program was killed). */
  tooLong: boolean;
}

export function execBounded(
  file: string,
  args: readonly string[],
  opts: { cwd: string; env: NodeJS.ProcessEnv; input?: string; timeoutMs: number; maxBytes: number },
): Promise<ExecResult> {
  return new Promise((resolve) => {
    const child = spawn(file, [...args], {
      cwd: opts.cwd,
      env: opts.env,
      stdio: ["pipe", "pipe", "pipe"],
      detached: true,
    });
    const out: Buffer[] = [];
    let size = 0;
    let stderr = "";
    let timedOut = false;
    let tooLong = false;
    const kill = () => {
      try {
        if (child.pid) process.kill(-child.pid, "SIGKILL");
      } catch {
        // gone already
      }
    };
    child.stdout.on("data", (d: Buffer) => {
      size += d.length;
      if (size > opts.maxBytes) {
        tooLong = true;
        kill();
      } else out.push(d);
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr = (stderr + d.toString("utf8")).slice(-4000);
    });
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, opts.timeoutMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      resolve({ code: 127, stdout: "", stderr: e.message, timedOut, tooLong });
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out).toString("utf8"), stderr, timedOut, tooLong });
    });
    child.stdin.on("error", () => undefined);
    child.stdin.end(opts.input ?? "");
  });
}

export class TrackerError extends Error {
  override name = "TrackerError";
}

/** Why a run failed, in one bounded line of the program's own words. */
export function failure(what: string, r: ExecResult, timeoutMs: number): string {
  if (r.timedOut) return `${what}: no answer within ${Math.round(timeoutMs / 1000)}s`;
  if (r.tooLong) return `${what}: printed more than the bound allows`;
  const said = r.stderr.trim().split("\n").slice(-3).join(" ").slice(0, 500);
  return `${what}: exited ${r.code}${said ? `: ${said}` : ""}`;
}
