export { buildConfinedPolicy, type ConfinedPolicyInput } from "./confined.js";
export {
  type Bind,
  buildPolicy,
  DEFAULT_DENY_READ,
  expandHome,
  gitObjectEnv,
  type JjPolicy,
  LOOPBACK_HOSTS,
  type Policy,
  type PolicyInput,
  type StepKind,
} from "./policy.js";
export {
  type MaskedSecret,
  RunSandbox,
  SandboxUnavailableError,
  type Wrapped,
  withBinds,
} from "./run-sandbox.js";
