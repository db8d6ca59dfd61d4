/** The door of run/supervise/: what the rest of Ballador may use of it. */
export * from "./supervise.js";
