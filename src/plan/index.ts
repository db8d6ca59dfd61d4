/** The door of plan/: what the rest of Ballador may use of it. */
export * from "./conductor-chamber.js";
export * from "./conductor-install.js";
export * from "./conductor-runs.js";
export * from "./parts.js";
export * from "./queue.js";
export * from "./specs.js";
