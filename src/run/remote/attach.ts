/** A person's hands on a remote run (spec 0013): its session lives on the runner, reached over ssh -t. */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import type { RunRow } from "../../adapters/store/index.js";
import type { Project } from "../../project/index.js";
import { runnerNamed, sshArgv, sshRun } from "./ssh.js";

/** Where the runner keeps the run: what attach and logs need (host-only, in the run folder). */
export function remoteFile(runDir: string): string {
  return join(runDir, "remote.json");
}

export interface RemoteWhere {
  runner: string;
  socket: string;
  session: string;
  sessionLog: string;
}

type Zod = typeof import("zod");
let remoteSchema: ReturnType<typeof makeRemoteSchema> | null = null;

// Written by the relay from a checked hello: the same narrow forms are required again here.
function makeRemoteSchema({ z }: Zod) {
  return z.object({
    runner: z.string().max(64),
    socket: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/),
    session: z.string().regex(/^bl-[a-z0-9-]{1,64}$/),
    sessionLog: z.string().max(1024),
  });
}

/**
 * zod is required on the first remote run read, not when this module loads: run/'s door brings
 * this module into every supervisor, and zod's ~100 files cost each one tens of ms (spec 0017).
 */
function remoteSchemaNow() {
  remoteSchema ??= makeRemoteSchema(createRequire(import.meta.url)("zod") as Zod);
  return remoteSchema;
}

/** Where a remote run's session lives, once the runner said so; null for a local run or before. */
export function remoteWhere(run: RunRow): RemoteWhere | null {
  if (!run.runner || !existsSync(remoteFile(run.runDir))) return null;
  const r = remoteSchemaNow().safeParse(JSON.parse(readFileSync(remoteFile(run.runDir), "utf8")));
  return r.success ? r.data : null;
}

/** `ssh -t runner tmux -L sock attach -t =session`, or null when the run is not remote (yet). */
export function remoteAttachArgs(project: Project, run: RunRow): string[] | null {
  const where = remoteWhere(run);
  const runner = run.runner ? runnerNamed(project.config, run.runner) : null;
  if (!where || !runner) return null;
  return sshArgv(runner, `tmux -L ${where.socket} attach-session -t =${where.session}`, { tty: true });
}

/** `ssh runner tail -f` of the runner's session log (logs -f of a remote run). */
export function remoteFollowArgs(project: Project, run: RunRow): string[] | null {
  const where = remoteWhere(run);
  const runner = run.runner ? runnerNamed(project.config, run.runner) : null;
  if (!where || !runner) return null;
  const quoted = `'${where.sessionLog.replace(/'/g, `'\\''`)}'`;
  return sshArgv(runner, `tail -n +1 -F ${quoted}`);
}

/** The person stopped (or abandoned) a remote run at home: its run on the runner stops too. */
export async function stopRemote(project: Project, run: RunRow): Promise<string | null> {
  const runner = run.runner ? runnerNamed(project.config, run.runner) : null;
  if (!runner) return run.runner ? `runner ${run.runner} is no longer in the config` : null;
  const r = await sshRun(runner, ["__runner-serve", "stop", runner.root, run.id], { timeoutMs: 60_000 });
  return r.code === 0
    ? null
    : `runner ${runner.name} did not confirm the stop: ${r.stderr.trim().slice(0, 300)}`;
}
