/**
 * Trackers whose issues become parts (issue 33): GitHub through gh, Linear's GraphQL API, and
 * any other through a shell command speaking a small JSON contract. Host-side only: what they
 * answer is hostile data, checked for shape and bounded before anything reads it.
 */
export { execBounded, TrackerError } from "./exec.js";
export { githubTracker } from "./github.js";
export { linearTracker } from "./linear.js";
export { shellTracker } from "./shell.js";
export * from "./types.js";
