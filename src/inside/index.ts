/** The door of inside/: what the rest of Ballador may use of it. */
export * from "./report.js";
