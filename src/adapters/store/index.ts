export { STORE_FILE, StoreError } from "./connection.js";
export { type DashboardRow, type DashboardSessionRow, DashboardSessionStore } from "./dashboard-sessions.js";
export { TaskStore } from "./store.js";
export type { QueuedPart, TransitionOptions } from "./task-writes.js";
export type {
  ArtifactRow,
  EventRow,
  GateRow,
  LaunchRow,
  NoteRow,
  RunRow,
  RunStatus,
  TaskRow,
  VerificationRow,
} from "./types.js";
