/**
 * The door of observe/: status, next, show, graph, denials, needs-you and the dashboard's
 * sessions. It loads no launch or supervisor code (the architecture test holds it): the
 * dashboard's board, which does, has its own door, observe/board/.
 */
export * from "./dashboard-sessions.js";
export * from "./denials.js";
export * from "./needs-you.js";
export * from "./read.js";
export * from "./status.js";
