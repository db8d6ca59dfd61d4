export { DENIALS_FILE, type Denial, readDenials, recordDenial } from "./denials.js";
export {
  buildPolicy,
  DEFAULT_DENY_READ,
  expandHome,
  gitObjectEnv,
  LOOPBACK_HOSTS,
  type Policy,
  type PolicyInput,
} from "./policy.js";
export { RunSandbox, SandboxUnavailableError, type Wrapped } from "./run-sandbox.js";
