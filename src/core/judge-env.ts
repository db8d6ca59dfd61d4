/**
 * The judge's environment: the variables every verification that decides anything (the clean
 * one after done, pipeline gates, `update`'s, `merge`'s) runs with. Built from scratch, never
 * copied from a run's environment, so nothing an agent wrote reaches the judge through it:
 * - HOME and TMPDIR: folders the host made empty for this one verification;
 * - a few host variables by name (JUDGE_PASSED), each dropped when its value names a place an
 *   agent writes (a PATH entry under a worktree or a run folder, or a relative entry, which
 *   would be the checkout being judged);
 * - the run's identity (task, run, branch, attempt): plain words, no paths.
 * Everything else is left out: GIT_*, NODE_OPTIONS, PYTHON*, npm_config_*, XDG_*, proxies (the
 * sandbox sets its own), the profile's variables and secrets.
 */

/**
 * The identity of this rule. It is part of every verdict's reuse key (verificationKey): change
 * it whenever what the judge's environment holds changes, and no verdict reached under another
 * environment is ever reused.
 */
export const JUDGE_ENV_VERSION = 1;

/** Host variables the judge gets by name (when their value names no agent-written place). */
export const JUDGE_PASSED = ["PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "USER", "LOGNAME"] as const;

/** The run's identity variables the judge keeps (no paths: those name agent-written folders). */
export const JUDGE_IDENTITY = [
  "BALLADOR_TASK_ID",
  "BALLADOR_RUN_ID",
  "BALLADOR_BRANCH",
  "BALLADOR_ATTEMPT",
] as const;

const DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin";

export interface JudgeEnvInput {
  /** The host process's environment (the supervisor's or the CLI's). */
  host: Readonly<Record<string, string | undefined>>;
  /** The caller's run environment: only the JUDGE_IDENTITY variables are read from it. */
  identity: Readonly<Record<string, string | undefined>>;
  /** Fresh, host-made, empty folders for this verification. */
  home: string;
  tmp: string;
  /** Absolute folders agents write (worktrees, run folders): no passed value may point inside. */
  agentWritten: readonly string[];
}

export function judgeEnvironment(input: JudgeEnvInput): Record<string, string> {
  const env: Record<string, string> = {};
  const written = input.agentWritten.map(normalizeAbsolute).filter((p): p is string => p !== null);
  const trusted = (entry: string) => {
    const p = normalizeAbsolute(entry);
    return p !== null && !written.some((w) => p === w || p.startsWith(w === "/" ? w : `${w}/`));
  };
  for (const name of JUDGE_PASSED) {
    const value = input.host[name];
    if (value === undefined || value === "") continue;
    if (name === "PATH") {
      const kept = value.split(":").filter(trusted);
      env.PATH = kept.length > 0 ? kept.join(":") : DEFAULT_PATH;
    } else if (!value.split(":").some((part) => part.startsWith("/") && !trusted(part))) {
      env[name] = value;
    }
  }
  env.PATH ??= DEFAULT_PATH;
  for (const name of JUDGE_IDENTITY) {
    const value = input.identity[name];
    if (value !== undefined) env[name] = value;
  }
  env.HOME = input.home;
  env.TMPDIR = input.tmp;
  return env;
}

/** What determines the judge's environment, for verdict reuse keys. */
export function judgeEnvironmentId(): string {
  return `judge-env/${JUDGE_ENV_VERSION}: fresh HOME, fresh TMPDIR; host ${JUDGE_PASSED.join(",")}; run ${JUDGE_IDENTITY.join(",")}`;
}

/** An absolute POSIX path with `.`, `..` and repeated or trailing slashes resolved; null if relative. */
export function normalizeAbsolute(path: string): string | null {
  if (!path.startsWith("/")) return null;
  const out: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") out.pop();
    else out.push(part);
  }
  return `/${out.join("/")}`;
}
