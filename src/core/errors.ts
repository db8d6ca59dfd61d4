/**
 * Errors meant for the person at the keyboard (what went wrong and how to fix it), and the exit
 * codes the CLI documents. Scripts read the exit code and, with --json, the error's `code`: both
 * are a contract and do not change meaning.
 */
export const EXIT = {
  /** The command did what was asked. */
  ok: 0,
  /** A check ran and found problems (doctor, spec check, invalid parts or config, a failed verify). */
  problems: 1,
  /** The command line itself is wrong (unknown option, missing argument, bad value). */
  usage: 2,
  /** Something named does not exist (task, spec, file, repository, run). */
  notFound: 3,
  /** The command refuses in the current state (a task in the wrong state, dirty work, exists already). */
  refused: 4,
  /** A bug or an unexpected failure of the machine (EX_SOFTWARE). */
  internal: 70,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

const DEFAULT_CODE: Record<number, string> = {
  1: "problems",
  2: "usage",
  3: "not_found",
  4: "refused",
  70: "internal",
};

export class UserError extends Error {
  override name = "UserError";
  /** A stable, machine-readable code (snake_case), printed in `--json` errors. */
  readonly code: string;
  constructor(
    message: string,
    readonly exitCode: number = EXIT.problems,
    readonly details: string[] = [],
    code?: string,
  ) {
    super(message);
    this.code = code ?? DEFAULT_CODE[exitCode] ?? "problems";
  }
}

/** Something named does not exist (exit 3). */
export function notFound(code: string, message: string, details: string[] = []): UserError {
  return new UserError(message, EXIT.notFound, details, code);
}

/** Refused in the current state (exit 4). */
export function refused(code: string, message: string, details: string[] = []): UserError {
  return new UserError(message, EXIT.refused, details, code);
}

/** The command line is wrong (exit 2). */
export function usage(code: string, message: string, details: string[] = []): UserError {
  return new UserError(message, EXIT.usage, details, code);
}

/** A check found problems (exit 1). */
export function problems(code: string, message: string, details: string[] = []): UserError {
  return new UserError(message, EXIT.problems, details, code);
}
