export { type QueuedPart, STORE_FILE, StoreError, TaskStore, type TransitionOptions } from "./store.js";
export type { EventRow, NoteRow, RunRow, RunStatus, TaskRow } from "./types.js";
