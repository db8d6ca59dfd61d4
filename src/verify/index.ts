/** The door of verify/: what the rest of Ballador may use of it. */
export * from "./brief.js";
export * from "./conflicts.js";
export * from "./detect-verify.js";
export * from "./stage-gates.js";
export * from "./task-span.js";
export * from "./verification.js";
export * from "./verify-inputs.js";
