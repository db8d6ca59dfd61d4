/**
 * How a failure leaves the CLI: a message on stderr for people, or with --json exactly one
 * document on stdout, `{"error": {"code", "message", "details"}}`; and a documented exit code
 * (src/core/errors.ts EXIT). Messages can carry agent-written text: escaped for the terminal.
 * Without commander (errors.ts adds its usage errors), so the read fast path loads none of it.
 */
import { EXIT, UserError } from "../core/errors.js";
import { block } from "./output.js";

export interface ErrorDocument {
  error: { code: string; message: string; details: string[] };
}

/** The code, exit status and message of a failure other than commander's own. */
export function describeFailure(err: unknown): { exit: number; doc: ErrorDocument } {
  if (err instanceof UserError) {
    return {
      exit: err.exitCode,
      doc: { error: { code: err.code, message: err.message, details: [...err.details] } },
    };
  }
  const e = err instanceof Error ? err : new Error(String(err));
  return { exit: EXIT.internal, doc: { error: { code: "internal", message: e.message, details: [] } } };
}

/**
 * Writes the failure and exits. `ndjson`: the command was printing one document per line
 * (`--watch --json`); so is its error. `printed`: commander has already printed its message.
 */
export function exitWithFailure(
  err: unknown,
  failure: { exit: number; doc: ErrorDocument },
  opts: { json: boolean; ndjson?: boolean; printed?: boolean },
): never {
  const { exit, doc } = failure;
  if (opts.json) {
    process.stdout.write(`${opts.ndjson ? JSON.stringify(doc) : JSON.stringify(doc, null, 2)}\n`);
  } else if (!opts.printed) {
    process.stderr.write(`ballador: ${block(doc.error.message)}\n`);
    for (const d of doc.error.details) process.stderr.write(`  ${block(d).replace(/\n/g, "\n  ")}\n`);
  }
  if (exit === EXIT.internal) {
    if (opts.json) process.stderr.write(`ballador: ${block(doc.error.message)}\n`);
    if (process.env.BALLADOR_DEBUG) process.stderr.write(`${(err as Error)?.stack ?? ""}\n`);
  }
  process.exit(exit);
}
