/** The door of setup/: what the rest of Ballador may use of it. */
export * from "./agents.js";
export * from "./demo.js";
export * from "./doctor.js";
export * from "./init.js";
export * from "./runner-check.js";
export * from "./runners.js";
