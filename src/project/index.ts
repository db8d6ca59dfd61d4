/** The door of project/: what the rest of Ballador may use of it. */

export * from "../core/errors.js";
export * from "./completion.js";
export * from "./cost.js";
export * from "./merge-leftovers.js";
export * from "./on-base.js";
export * from "./open.js";
export * from "./pipeline.js";
export * from "./run-env.js";
export * from "./runners.js";
export * from "./runs.js";
export * from "./sandbox-warning.js";
export * from "./supervisor-node.js";
