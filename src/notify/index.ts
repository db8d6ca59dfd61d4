/** The door of notify/: what the rest of Ballador may use of it. */
export * from "./notify.js";
export * from "./outbox.js";
export * from "./trackers.js";
