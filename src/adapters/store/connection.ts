/**
 * The task store's connection: one SQLite file in WAL mode, shared by every Ballador process,
 * migrated to this Ballador's schema when opened. Writers use tx (an immediate transaction).
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import Database from "better-sqlite3";
import { MIGRATIONS } from "./migrations.js";

/**
 * The addon's file, named to better-sqlite3 so it skips its `bindings` lookup (two more packages
 * and a search of a dozen paths at every start); undefined (its own lookup) where the package
 * keeps it elsewhere.
 */
export const STORE_ADDON_FILE = ((dir) => {
  const file = join(dir, "build", "Release", "better_sqlite3.node");
  return existsSync(file) ? file : undefined;
})(dirname(createRequire(import.meta.url).resolve("better-sqlite3/package.json")));

/**
 * The bundle inlines better-sqlite3's JavaScript (scripts/sandbox-runtime-plugin.mjs); its own
 * `bindings` lookup searches from the file that calls it, which would be the bundle's. Without
 * the addon's file named, the package is loaded from node_modules as is, lookup and all.
 */
const DatabaseClass: typeof Database = STORE_ADDON_FILE
  ? Database
  : (createRequire(import.meta.url)("better-sqlite3") as typeof Database);

export const STORE_FILE = "ballador.db";

export class StoreError extends Error {
  override name = "StoreError";
}

export type SqlRow = Record<string, unknown>;

export function now(): string {
  return new Date().toISOString();
}

/**
 * Switches the store to WAL. On a brand-new store that other processes are creating at the same
 * moment, SQLite can answer SQLITE_BUSY at once without calling the busy handler (seen under load
 * in CI): wait a little and try again, for as long as the busy timeout.
 */
function enableWal(db: Database.Database): void {
  const until = Date.now() + 15_000;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      db.pragma("journal_mode = WAL");
      return;
    } catch (err) {
      if ((err as { code?: string }).code !== "SQLITE_BUSY" || Date.now() > until) throw err;
      Atomics.wait(pause, 0, 0, 20);
    }
  }
}

/** The connection every layer of the store builds on (store.ts assembles the layers). */
export class StoreConnection {
  readonly db: Database.Database;

  protected constructor(
    readonly path: string,
    readonly stack: boolean,
  ) {
    // Agents report concurrently; wait for the lock rather than fail.
    this.db = new DatabaseClass(path, {
      timeout: 15_000,
      ...(STORE_ADDON_FILE ? { nativeBinding: STORE_ADDON_FILE } : {}),
    });
    enableWal(this.db);
    this.db.pragma("synchronous = NORMAL");
    this.db.pragma("foreign_keys = ON");
    this.migrate();
  }

  close(): void {
    this.db.close();
  }

  private migrate(): void {
    const version = this.db.pragma("user_version", { simple: true }) as number;
    if (version > MIGRATIONS.length) {
      throw new StoreError(
        `${this.path}: the task store is at schema version ${version}, newer than this Ballador (${MIGRATIONS.length}); upgrade Ballador`,
      );
    }
    if (version === MIGRATIONS.length) return;
    this.tx(() => {
      // Another process may have migrated while we waited for the lock.
      const current = this.db.pragma("user_version", { simple: true }) as number;
      for (let v = current; v < MIGRATIONS.length; v++) {
        this.db.exec(MIGRATIONS[v] as string);
        this.db.pragma(`user_version = ${v + 1}`);
      }
    });
  }

  /** Runs fn in an immediate transaction: writers queue on the lock instead of failing at commit. */
  tx<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  /** SQLite's data_version: changes whenever another connection commits (one cheap read). */
  dataVersion(): number {
    return this.db.pragma("data_version", { simple: true }) as number;
  }
}
