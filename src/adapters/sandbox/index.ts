export { buildConfinedPolicy, type ConfinedPolicyInput } from "./confined.js";
export { DENIALS_FILE, type Denial, readDenials, recordDenial } from "./denials.js";
export {
  type Bind,
  buildPolicy,
  DEFAULT_DENY_READ,
  expandHome,
  gitObjectEnv,
  LOOPBACK_HOSTS,
  type Policy,
  type PolicyInput,
  refFolderOf,
  type StepKind,
} from "./policy.js";
export {
  type MaskedSecret,
  RunSandbox,
  SandboxUnavailableError,
  type Wrapped,
  withBinds,
} from "./run-sandbox.js";
