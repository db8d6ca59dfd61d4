/** Runs on other machines (spec 0013): what the rest of run/ and the CLI use of remote/. */
import type { ChildProcessWithoutNullStreams as ChildProcess } from "node:child_process";

export { remoteAttachArgs, remoteFile, remoteFollowArgs, remoteWhere } from "./attach.js";

// The relay and the runner's serve (with the protocol's zod schemas and yaml) load only in the
// processes that run them: this door is in every supervisor's imports (spec 0017).
type Serve = typeof import("./serve.js");

/** The process of a remote run's home session (see relay.ts); `early`: its connection, opened first. */
export async function relay(runDir: string, early?: ChildProcess | null): Promise<number> {
  return (await import("./relay.js")).relay(runDir, early);
}

export async function serveRun(...args: Parameters<Serve["serveRun"]>): ReturnType<Serve["serveRun"]> {
  return (await import("./serve.js")).serveRun(...args);
}

export async function runStatus(...args: Parameters<Serve["runStatus"]>): ReturnType<Serve["runStatus"]> {
  return (await import("./serve.js")).runStatus(...args);
}

export async function stopRun(...args: Parameters<Serve["stopRun"]>): ReturnType<Serve["stopRun"]> {
  return (await import("./serve.js")).stopRun(...args);
}
export {
  balladorCommand,
  type RunnerEntry,
  remoteOf,
  runnerNamed,
  runnersOf,
  sshArgv,
  sshRun,
} from "./ssh.js";
