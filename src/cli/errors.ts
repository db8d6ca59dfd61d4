/** Failures of the command tree: commander's usage errors beside the rest (failure.ts). */
import { CommanderError } from "commander";
import { EXIT } from "../core/errors.js";
import { describeFailure, type ErrorDocument, exitWithFailure } from "./failure.js";

export type { ErrorDocument } from "./failure.js";

/** The code, exit status and message of any failure. */
export function describeError(err: unknown): { exit: number; doc: ErrorDocument } {
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
  return describeFailure(err);
}

/** `ndjson`: the command was printing one document per line (`--watch --json`); so is its error. */
export function handleError(err: unknown, json: boolean, ndjson = false): never {
  // Commander has already printed its own usage message.
  return exitWithFailure(err, describeError(err), { json, ndjson, printed: err instanceof CommanderError });
}
