import { UserError } from "../usecases/errors.js";

export function handleError(err: unknown, json: boolean): never {
  if (err instanceof UserError) {
    if (json) {
      process.stdout.write(`${JSON.stringify({ error: err.message, details: err.details }, null, 2)}\n`);
    } else {
      process.stderr.write(`ballador: ${err.message}\n`);
      for (const d of err.details) process.stderr.write(`  ${d.replace(/\n/g, "\n  ")}\n`);
    }
    process.exit(err.exitCode);
  }
  const e = err instanceof Error ? err : new Error(String(err));
  if (json) process.stdout.write(`${JSON.stringify({ error: e.message }, null, 2)}\n`);
  process.stderr.write(`ballador: ${e.message}\n`);
  if (process.env.BALLADOR_DEBUG) process.stderr.write(`${e.stack ?? ""}\n`);
  process.exit(70);
}
