/**
 * Where a secret's value could be left on a runner host: the files its user owns on this
 * machine's disk, and what the agent's visible processes hold (for the runner tests).
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";

/** A shell pipeline: the sha256 of every environment value and argument of every process the agent can see. */
export const procValueHashes =
  "for f in /proc/[0-9]*/environ /proc/[0-9]*/cmdline; do tr '\\0' '\\n' < \"$f\" 2>/dev/null; echo; done | " +
  "sed 's/^[A-Za-z_][A-Za-z0-9_]*=//' | while IFS= read -r v; do printf %s \"$v\" | sha256sum; done";

/** Every regular file the Unix user owns on this machine's root filesystem (the runner's disk). */
export function filesOwnedBy(user: string): string[] {
  // Other tests' temporary folders come and go meanwhile: find's complaints about them are not ours.
  const r = spawnSync("find", ["/", "-xdev", "-user", user, "-type", "f", "-size", "-20M"], {
    encoding: "utf8",
    maxBuffer: 64 << 20,
  });
  return r.stdout.split("\n").filter((l) => l.length > 0);
}

/** The files among `files` that hold any of `values`. */
export function filesHolding(files: readonly string[], values: readonly string[]): string[] {
  return files.filter((f) => {
    try {
      const data = readFileSync(f);
      return values.some((v) => data.includes(Buffer.from(v)));
    } catch {
      return false;
    }
  });
}
