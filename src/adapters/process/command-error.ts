/** A command that failed: what ran, its exit code (null: it could not start) and what it said. */
export class CommandError extends Error {
  constructor(
    message: string,
    readonly program: string,
    readonly args: readonly string[],
    readonly code: number | null,
    readonly stderr: string,
  ) {
    super(message);
  }

  /** The command as a person would read it (not meant to be pasted into a shell). */
  get command(): string {
    return [this.program, ...this.args].join(" ");
  }
}
