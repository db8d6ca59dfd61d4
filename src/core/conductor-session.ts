/**
 * The headless conductor session's decisions, pure: its default-deny environment, the command
 * line it runs (and the one its record shows), the prompt of each attempt, and which changed
 * files lie outside its one writable place.
 */
import { retryPrompt } from "./conductor-prompt.js";

/** The run's id: what it does, for what, when, and a few random letters (`random`: base 36). */
export function conductorRunId(kind: string, slug: string, now: Date, random: string): string {
  const stamp = now.toISOString().replace(/[-:]/g, "").replace(/\..*$/, "").replace("T", "-");
  return `${kind}-${slug}-${stamp}-${random}`;
}

/**
 * Default-deny, as for task runs: the basics and a few of the person's own variables, nothing
 * of Ballador's state. The profile's variables and secrets are added over it.
 */
export function conductorBaseEnv(
  host: Readonly<Record<string, string | undefined>>,
  home: string,
  tmp: string,
): Record<string, string> {
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
  return env;
}

/** The command as the record shows it: the prompt itself is never written there. */
export function shownCommand(argv: readonly string[]): string {
  return argv.map((a) => (a === "{prompt}" ? "<prompt>" : a)).join(" ");
}

/** The profile's command with its placeholders filled in for one attempt. */
export function conductorArgv(
  command: readonly string[],
  fill: { prompt: string; promptBy: string; promptFile: string; root: string; id: string },
): string[] {
  return command.map((a) =>
    a
      .replaceAll("{prompt}", fill.promptBy === "arg" ? fill.prompt : "")
      .replaceAll("{prompt_file}", fill.promptFile)
      .replaceAll("{worktree}", fill.root)
      .replaceAll("{task}", fill.id),
  );
}

/**
 * Attempt `n`'s prompt: the first prompt, then the problems found; an agent that cannot
 * continue its conversation gets the first prompt again before them.
 */
export function attemptPrompt(
  n: number,
  max: number,
  first: string,
  feedback: readonly string[],
  where: string,
  resumable: boolean,
): string {
  if (n === 1) return first;
  const retry = retryPrompt(n, max, feedback, where);
  return resumable ? retry : `${first}\n${retry}`;
}

/**
 * The lines of `git status --porcelain=v1` that name a file outside `except` (the writable
 * place) and outside `stateDir` (Ballador's own state), both relative to the root.
 */
export function changesOutside(porcelain: string, except: string, stateDir: string): Set<string> {
  return new Set(
    porcelain
      .split("\n")
      .filter(Boolean)
      .filter((l) => {
        const file = l.slice(3);
        return !(
          file === except ||
          file.startsWith(`${except}/`) ||
          (stateDir && file.startsWith(`${stateDir}/`))
        );
      }),
  );
}
