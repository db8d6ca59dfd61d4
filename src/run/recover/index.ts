/** The door of run/recover/: what the rest of Ballador may use of it. */

export { isJjProject, removeTaskWorkspace } from "./jj-workspaces.js";
export * from "./reconcile.js";
export * from "./rollback.js";
