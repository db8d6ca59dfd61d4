/**
 * Denied network requests, recorded per run (denials.jsonl, host-only: the sandbox's proxy writes
 * it on the host) so the allowlist can explain itself. Here, not in sandbox/: status and the
 * brief read it without loading the sandbox.
 */
import { appendFileSync, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

export interface Denial {
  host: string;
  port: number | null;
  at: string;
  /**
   * Set when the request was not refused but carried the stand-in of this masked secret toward a
   * host it is not for (or over plain http): the proxy left the stand-in, the host got no secret.
   */
  secret?: string;
}

export const DENIALS_FILE = "denials.jsonl";

export function recordDenial(runDir: string, denial: Denial): void {
  appendFileSync(join(runDir, DENIALS_FILE), `${JSON.stringify(denial)}\n`);
}

export function readDenials(runDir: string): Denial[] {
  const file = join(runDir, DENIALS_FILE);
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim().length > 0)
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as Denial];
      } catch {
        return [];
      }
    });
}
