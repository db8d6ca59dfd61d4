/**
 * The task store: one SQLite file in WAL mode, shared by every Ballador process.
 * Each state change is one immediate transaction that checks the move with the pure state
 * machine, writes the task, appends the event and refreshes the readiness of its dependents.
 *
 * TaskStore is assembled in layers, one concern a file, each building on the one before:
 * connection.ts (open, WAL, migrations, tx), task-reads.ts (the queue and its event log),
 * task-writes.ts (queueing parts, state moves, readiness), runs.ts (runs and launches),
 * records.ts (gates, notes, verifications, artifacts); rows.ts reads rows into types.ts's shapes.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { STORE_FILE } from "./connection.js";
import { SourceLedger } from "./sources.js";

export class TaskStore extends SourceLedger {
  // Private as before: a store is had only through open.
  private constructor(path: string, stack: boolean) {
    super(path, stack);
  }

  static open(stateDir: string, opts: { stack?: boolean } = {}): TaskStore {
    mkdirSync(stateDir, { recursive: true });
    return new TaskStore(join(stateDir, STORE_FILE), opts.stack ?? false);
  }
}
