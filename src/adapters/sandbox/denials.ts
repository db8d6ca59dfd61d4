/** Denied network requests, recorded per run so the allowlist can explain itself. */
import { appendFileSync, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

export interface Denial {
  host: string;
  port: number | null;
  at: string;
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
