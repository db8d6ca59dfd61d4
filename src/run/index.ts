/** The door of run/: what the rest of Ballador may use of it. */

export * from "./cleanup.js";
export * from "./launch.js";
export * from "./lifecycle.js";
export * from "./mcp-servers.js";
export * from "./model-endpoint.js";
export * from "./recover/index.js";
export * from "./remote/index.js";
export * from "./run-spec.js";
export * from "./sandboxing.js";
export * from "./steering.js";
export * from "./supervise/index.js";
