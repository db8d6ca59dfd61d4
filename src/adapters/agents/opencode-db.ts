/**
 * OpenCode's message table, read from its SQLite database in the agent's HOME (OpenCode 1.18.33:
 * `~/.local/share/opencode/opencode.db`, written in WAL mode, so most recent rows are in
 * `opencode.db-wal`). The database is the agent's, so it is hostile: both files are copied through
 * the untrusted door (no link followed, bounded) into a private folder, and opened there by a
 * separate Node process with a time limit, a memory limit and SQLite's defences against a crafted
 * database (no trusted schema, cell size checks, no memory map, read-only queries), so a database
 * made to hang or crash its reader stops that process, not the supervisor (which goes on
 * supervising meanwhile: the read is asynchronous).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readUntrusted } from "../hostile/index.js";

const READ_MS = 15_000;
const MAX_OUTPUT = 64 * 1024 * 1024;

/** Runs in the child: argv is [node, better-sqlite3's path, the database's copy]. */
const CHILD = `
const [, mod, file] = process.argv;
const Database = require(mod);
const db = new Database(file, { fileMustExist: true, timeout: 0 });
db.pragma("trusted_schema = OFF");
db.pragma("cell_size_check = ON");
db.pragma("mmap_size = 0");
db.pragma("query_only = ON");
const t = db.prepare("SELECT type FROM sqlite_schema WHERE name = 'message'").get();
const out = [];
if (t && t.type === "table")
  for (const r of db.prepare("SELECT id, time_created, data FROM message").iterate()) out.push(JSON.stringify(r));
process.stdout.write(out.join("\\n"));
`;

/**
 * The rows of the `message` table (one JSON object a line), or null when not readable (a link,
 * too large, not a database, the reader stopped at its time or memory limit).
 */
export async function readOpencodeMessages(
  dir: string,
  name: string,
  maxBytes: number,
): Promise<string | null> {
  let db: Buffer | null;
  let wal: Buffer | null;
  try {
    db = readUntrusted(dir, name, maxBytes);
    wal = readUntrusted(dir, `${name}-wal`, maxBytes);
  } catch {
    return null;
  }
  if (db === null) return null;
  const copy = mkdtempSync(join(tmpdir(), "ballador-opencode-"));
  try {
    writeFileSync(join(copy, name), db, { mode: 0o600 });
    if (wal) writeFileSync(join(copy, `${name}-wal`), wal, { mode: 0o600 });
    db = null;
    wal = null;
    const sqlite = createRequire(import.meta.url).resolve("better-sqlite3");
    return await new Promise<string | null>((done) => {
      const child = spawn(
        process.execPath,
        ["--max-old-space-size=256", "-e", CHILD, sqlite, join(copy, name)],
        {
          env: {},
          stdio: ["ignore", "pipe", "ignore"],
          timeout: READ_MS,
          killSignal: "SIGKILL",
        },
      );
      const chunks: Buffer[] = [];
      let size = 0;
      child.stdout.on("data", (c: Buffer) => {
        size += c.length;
        if (size > MAX_OUTPUT) child.kill("SIGKILL");
        else chunks.push(c);
      });
      child.on("error", () => done(null));
      child.on("close", (code) =>
        done(code === 0 && size <= MAX_OUTPUT ? Buffer.concat(chunks).toString("utf8") : null),
      );
    });
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}
