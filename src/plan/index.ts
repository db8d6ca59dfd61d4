/** The door of plan/: what the rest of Ballador may use of it. */
export * from "./conductor-chamber.js";
export * from "./conductor-draft.js";
export * from "./conductor-install.js";
export * from "./conductor-plan.js";
export {
  type ConductorAttempt,
  type ConductorRecord,
  conductorProfile,
  DEFAULT_CONDUCTOR_ATTEMPTS,
} from "./conductor-session.js";
export * from "./parts.js";
export * from "./queue.js";
export * from "./sources/index.js";
export * from "./specs.js";
