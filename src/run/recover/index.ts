/** The door of run/recover/: what the rest of Ballador may use of it. */
export * from "./reconcile.js";
export * from "./rollback.js";
