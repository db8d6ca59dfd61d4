/** The door of observe/: what the rest of Ballador may use of it. */
export * from "./board.js";
export * from "./dashboard-sessions.js";
export * from "./denials.js";
export * from "./needs-you.js";
export * from "./read.js";
export * from "./status.js";
export * from "./typing.js";
