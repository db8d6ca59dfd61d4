/**
 * How a failure leaves the CLI: a message on stderr for people, or with --json exactly one
 * document on stdout, `{"error": {"code", "message", "details"}}`; and a documented exit code
 * (src/project/errors.ts EXIT). Messages can carry agent-written text: escaped for the terminal.
 */
import { CommanderError } from "commander";
import { EXIT, UserError } from "../core/errors.js";
import { block } from "./output.js";

export interface ErrorDocument {
  error: { code: string; message: string; details: string[] };
}

/** The code, exit status and message of any failure. */
export function describeError(err: unknown): { exit: number; doc: ErrorDocument } {
  if (err instanceof UserError) {
    return {
      exit: err.exitCode,
      doc: { error: { code: err.code, message: err.message, details: [...err.details] } },
    };
  }
  if (err instanceof CommanderError) {
    // "commander.unknownOption" -> "unknown_option": the kind of usage error, stable across versions.
    const kind = err.code
      .replace(/^commander\./, "")
      .replace(/([a-z])([A-Z])/g, "$1_$2")
      .toLowerCase();
    return {
      exit: EXIT.usage,
      doc: { error: { code: `usage_${kind}`, message: err.message.replace(/^error: /, ""), details: [] } },
    };
  }
  const e = err instanceof Error ? err : new Error(String(err));
  return { exit: EXIT.internal, doc: { error: { code: "internal", message: e.message, details: [] } } };
}

/** `ndjson`: the command was printing one document per line (`--watch --json`); so is its error. */
export function handleError(err: unknown, json: boolean, ndjson = false): never {
  const { exit, doc } = describeError(err);
  if (json) {
    process.stdout.write(`${ndjson ? JSON.stringify(doc) : JSON.stringify(doc, null, 2)}\n`);
  } else if (!(err instanceof CommanderError)) {
    // Commander has already printed its own usage message.
    process.stderr.write(`ballador: ${block(doc.error.message)}\n`);
    for (const d of doc.error.details) process.stderr.write(`  ${block(d).replace(/\n/g, "\n  ")}\n`);
  }
  if (exit === EXIT.internal) {
    if (json) process.stderr.write(`ballador: ${block(doc.error.message)}\n`);
    if (process.env.BALLADOR_DEBUG) process.stderr.write(`${(err as Error)?.stack ?? ""}\n`);
  }
  process.exit(exit);
}
