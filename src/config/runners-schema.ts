/**
 * The keys of runners (issue 32): other machines, reached over SSH, that run agents while the
 * task store, merge and secrets stay home. Names, SSH targets and roots go into command lines and
 * remote shell commands, so each is held to a narrow character set here, where a bad one is a
 * config error naming the key, rather than an option or a shell word later.
 */
import { z } from "zod";

/** Names that mean something else where a runner is named (`launch --on`): not runner names. */
export const RESERVED_RUNNER_NAMES = ["local", "any"] as const;

export const RUNNER_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,31}$/;

/** Why a runner name cannot be used, or null. */
export function runnerNameProblem(name: string): string | null {
  if (!RUNNER_NAME_PATTERN.test(name)) {
    return `"${name}" is not a runner name: use a-z, 0-9, _ and - (at most 32, starting with a letter or digit), such as build-box`;
  }
  if ((RESERVED_RUNNER_NAMES as readonly string[]).includes(name)) {
    return `"${name}" is reserved ("local" is this machine, "any" spreads runs by free slots): choose another name`;
  }
  return null;
}

/**
 * `user@host`, `host`, an ssh_config Host alias, or `ssh://[user@]host[:port]`. Never starting
 * with "-" (ssh would read an option) and without spaces or shell characters.
 */
const SSH_TARGET =
  /^(?:ssh:\/\/)?(?:[A-Za-z0-9._][A-Za-z0-9._-]*@)?[A-Za-z0-9_][A-Za-z0-9._-]*(?::\d{1,5})?$/;

/** Why an ssh target cannot be used, or null. */
export function sshTargetProblem(target: string): string | null {
  if (!SSH_TARGET.test(target) || (/:\d+$/.test(target) && !target.startsWith("ssh://"))) {
    return `"${target}" is not an SSH target: give user@host, a Host of your ~/.ssh/config, or ssh://user@host:port`;
  }
  return null;
}

/** `~/...` (the runner user's home) or an absolute path, in safe characters. */
const ROOT = /^(?:~|~\/[A-Za-z0-9._/-]*|\/[A-Za-z0-9._/-]*)$/;

export function runnerRootProblem(root: string): string | null {
  if (!ROOT.test(root) || root.split("/").includes("..")) {
    return `"${root}" is not a runner root: give an absolute path or ~/... on the runner (letters, digits, . _ - /), such as ~/.ballador`;
  }
  return null;
}

/** A git URL over SSH: ssh://[user@]host[:port]/path or [user@]host:path. */
const REMOTE_URL =
  /^(?:ssh:\/\/(?:[A-Za-z0-9._-]+@)?[A-Za-z0-9._-]+(?::\d{1,5})?\/[A-Za-z0-9._/~-]+|(?:[A-Za-z0-9._-]+@)?[A-Za-z0-9_][A-Za-z0-9._-]*:[A-Za-z0-9._/~-]+)$/;

export function runnersRemoteProblem(url: string): string | null {
  if (url.startsWith("-") || !REMOTE_URL.test(url)) {
    return `"${url}" is not a git URL over SSH: give the bare repository home and every runner reach, such as ssh://git@build-box/srv/app.git or git@build-box:app.git`;
  }
  return null;
}

const check = (problem: (v: string) => string | null) =>
  z.string().superRefine((v, ctx) => {
    const p = problem(v);
    if (p) ctx.addIssue({ code: "custom", message: p });
  });

export const RunnerSchema = z.strictObject({
  name: check(runnerNameProblem).describe(
    "The runner's name (a-z, 0-9, _, -; not local or any), as `ballador runner check NAME` takes it",
  ),
  ssh: check(sshTargetProblem).describe(
    "user@host or a Host of your ~/.ssh/config: Ballador runs the system ssh, with your keys and agent",
  ),
  max_sessions: z
    .number()
    .int()
    .min(1)
    .max(500)
    .optional()
    .describe("Runs at once on this runner. Default: 4"),
  root: check(runnerRootProblem)
    .optional()
    .describe("Where Ballador keeps its bundle, worktrees and runs on the runner. Default: ~/.ballador"),
  trusted_verify: z
    .boolean()
    .optional()
    .describe("true: the runner's clean verification gates merge (recorded with its hashes). Default: false"),
  secrets_at: z
    .enum(["home", "runner"])
    .optional()
    .describe(
      "home: masked secrets stay home, added by a proxy at home that the runner reaches through an SSH tunnel. runner: the values are sent to the runner per run over ssh and held in memory there by the run's supervisor, whose own proxy masks them (for a runner that needs direct egress; only your own config file may say so, never the repository's). Default: home",
    ),
});

export const RunnersSchema = z.array(RunnerSchema).superRefine((runners, ctx) => {
  const seen = new Set<string>();
  runners.forEach((r, i) => {
    if (seen.has(r.name)) {
      ctx.addIssue({
        code: "custom",
        path: [i, "name"],
        message: `"${r.name}" names two runners; runner names are unique: rename or remove one`,
      });
    }
    seen.add(r.name);
  });
});

export const RunnersRemoteSchema = check(runnersRemoteProblem);

export const RUNNER_DEFAULTS = {
  max_sessions: 4,
  root: "~/.ballador",
  trusted_verify: false,
  secrets_at: "home",
} as const;

/** A runner as loaded: every key filled in. */
export interface RunnerConfig {
  name: string;
  ssh: string;
  max_sessions: number;
  root: string;
  trusted_verify: boolean;
  secrets_at: "home" | "runner";
}

export function withRunnerDefaults(r: z.infer<typeof RunnerSchema>): RunnerConfig {
  return { ...RUNNER_DEFAULTS, ...r } as RunnerConfig;
}
