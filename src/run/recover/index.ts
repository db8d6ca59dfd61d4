/**
 * The door of run/recover/: what the rest of Ballador may use of it. Reconcile's look alone
 * loads with it (`status` reconciles at every call and never repairs); the rollback and the jj
 * workspaces' removal load when called (spec 0017).
 */
type Rollback = typeof import("./rollback.js");
type Workspaces = typeof import("./jj-workspaces.js");

export { isJjProject } from "../vcs-names.js";
export * from "./reconcile.js";

export async function rollbackFailedLaunch(
  ...args: Parameters<Rollback["rollbackFailedLaunch"]>
): ReturnType<Rollback["rollbackFailedLaunch"]> {
  return (await import("./rollback.js")).rollbackFailedLaunch(...args);
}

export async function removeTaskWorkspace(
  ...args: Parameters<Workspaces["removeTaskWorkspace"]>
): ReturnType<Workspaces["removeTaskWorkspace"]> {
  return (await import("./jj-workspaces.js")).removeTaskWorkspace(...args);
}
