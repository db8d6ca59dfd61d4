/** The door of watch/: what the rest of Ballador may use of it. */
export * from "./watch.js";
