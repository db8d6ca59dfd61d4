export { type DashboardRow, type DashboardSessionRow, DashboardSessionStore } from "./dashboard-sessions.js";
export { type QueuedPart, STORE_FILE, StoreError, TaskStore, type TransitionOptions } from "./store.js";
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
