/** The door of deliver/: what the rest of Ballador may use of it. */
export * from "./delivery.js";
export * from "./forge.js";
export * from "./update.js";
