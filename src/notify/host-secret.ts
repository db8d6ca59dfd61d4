/**
 * A source's API key, read by the host when it syncs: from an environment variable, a file or a
 * command of the person's. It goes into the host's own requests and nowhere else (no agent's
 * environment, no run folder, no log).
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import { type Project, UserError } from "../project/index.js";

export type HostSecret = { env: string } | { file: string } | { command: string[] };

export async function readHostSecret(project: Project, key: string, s: HostSecret): Promise<string> {
  let value: string | undefined;
  try {
    if ("env" in s) value = process.env[s.env];
    else if ("file" in s) {
      const path = s.file.startsWith("~/")
        ? join(homedir(), s.file.slice(2))
        : isAbsolute(s.file)
          ? s.file
          : resolve(project.paths.root, s.file);
      value = readFileSync(path, "utf8");
    } else {
      const [program, ...args] = s.command as [string, ...string[]];
      value = execFileSync(program, args, {
        cwd: project.paths.root,
        timeout: 30_000,
        encoding: "utf8",
        stdio: ["ignore", "pipe", "ignore"],
      });
    }
  } catch (err) {
    throw new UserError(`${key}: cannot read the secret (${(err as Error).message.split("\n")[0]})`);
  }
  const v = value?.trim();
  if (!v) throw new UserError(`${key}: the secret is empty or unset${"env" in s ? ` (set ${s.env})` : ""}`);
  return v;
}
