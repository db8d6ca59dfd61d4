/** The door of project/: what the rest of Ballador may use of it. */
export * from "./cost.js";
export * from "./errors.js";
export * from "./merge-leftovers.js";
export * from "./on-base.js";
export * from "./open.js";
export * from "./pipeline.js";
export * from "./run-env.js";
export * from "./runs.js";
