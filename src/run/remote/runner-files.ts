/**
 * The names of a runner's per-run records in the throwaway project's state folder (spec 0013),
 * apart from the code that reads them: a supervisor checks that they exist before it loads that
 * code (and the protocol's zod schemas with it), which only a run on a runner with secrets needs.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";

/** runner-masked.ts: the masked secrets' stand-ins and home's tunnel. */
export const REMOTE_MASKED_FILE = "remote-masked.json";

/** runner-secrets.ts: where runner-serve holds the values of `secrets_at: runner`. */
export const RUNNER_SECRETS_FILE = "runner-secrets.json";

/** Whether this (throwaway, runner-side) project holds a run's secrets from home. */
export function holdsRunnerSecrets(stateDir: string): boolean {
  return existsSync(join(stateDir, RUNNER_SECRETS_FILE));
}
