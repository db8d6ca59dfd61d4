/** Runs on other machines (spec 0013): what the rest of run/ and the CLI use of remote/. */

export { remoteAttachArgs, remoteFollowArgs, remoteWhere } from "./attach.js";
export { relay } from "./relay.js";
export { remoteFile } from "./relay-apply.js";
export { runStatus, serveRun, stopRun } from "./serve.js";
export {
  balladorCommand,
  type RunnerEntry,
  remoteOf,
  runnerNamed,
  runnersOf,
  sshArgv,
  sshRun,
} from "./ssh.js";
