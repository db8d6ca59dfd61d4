export { STORE_ADDON_FILE, STORE_FILE, StoreError } from "./connection.js";
export { DashboardSessionStore } from "./dashboard-sessions.js";
export type { SourceItem, SourceWrite } from "./sources.js";
export { TaskStore } from "./store.js";
export type { QueuedPart, TransitionOptions } from "./task-writes.js";
// Every row type (tasks, runs, launches, events, gates, notes, verifications, artifacts, dashboards).
export type * from "./types.js";
