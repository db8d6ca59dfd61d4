/** The door of adapters/hostile/: what the rest of Ballador may use of it. */
export * from "./confined.js";
export * from "./home-files.js";
export * from "./tree.js";
