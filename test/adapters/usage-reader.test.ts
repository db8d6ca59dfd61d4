/**
 * The host side of cost for Gemini CLI and OpenCode: which of a HOME's records are the run's.
 * They are laid out as Gemini CLI 0.61.0 and OpenCode 1.18.33 lay them out (seen with the real
 * binaries); the HOME is the agent's, so a link is not followed, another project's records are
 * not counted, and a database made to mislead its reader is not believed.
 */
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { UsageReader } from "../../src/adapters/agents/usage.js";

const roots: string[] = [];
const open: Database.Database[] = [];
afterEach(() => {
  for (const db of open.splice(0)) db.close();
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});

function session(project: string, id: string, tokens: Record<string, number>): string {
  const hash = createHash("sha256").update(project).digest("hex");
  return [
    JSON.stringify({ sessionId: `s-${id}`, projectHash: hash, startTime: "2026-12-02T10:00:00.000Z" }),
    JSON.stringify({
      id,
      timestamp: "2026-12-02T10:00:01.000Z",
      type: "gemini",
      content: "done",
      tokens,
      model: "gemini-3.8-flash",
    }),
    "",
  ].join("\n");
}

function project(home: string, slug: string, root: string): string {
  const dir = join(home, ".gemini", "tmp", slug);
  mkdirSync(join(dir, "chats"), { recursive: true });
  writeFileSync(join(dir, ".project_root"), root);
  return join(dir, "chats");
}

describe("UsageReader, Gemini CLI's sessions", () => {
  it("reads the sessions of the folder whose .project_root is the worktree, subagents included, no links", () => {
    const root = mkdtempSync(join(tmpdir(), "bl-usage-"));
    roots.push(root);
    const home = join(root, "home");
    const worktree = join(root, "wt", "task");
    // Another project took the slug first: the run's folder is "task-1".
    const other = project(home, "task", join(root, "elsewhere", "task"));
    writeFileSync(
      join(other, "session-a.jsonl"),
      session(join(root, "elsewhere", "task"), "o1", { input: 999 }),
    );
    const chats = project(home, "task-1", worktree);
    writeFileSync(
      join(chats, "session-b.jsonl"),
      session(worktree, "m1", { input: 10, cached: 4, output: 5 }),
    );
    mkdirSync(join(chats, "s-m1"));
    writeFileSync(join(chats, "s-m1", "agent-1.jsonl"), session(worktree, "m2", { input: 1, thoughts: 2 }));
    // Links to this worktree's sessions elsewhere (a file, a project folder): not followed.
    writeFileSync(join(root, "outside.jsonl"), session(worktree, "l1", { input: 1000 }));
    symlinkSync(join(root, "outside.jsonl"), join(chats, "session-link.jsonl"));
    const outside = project(join(root, "decoy"), "decoy", worktree);
    writeFileSync(join(outside, "session-c.jsonl"), session(worktree, "l2", { input: 2000 }));
    symlinkSync(join(root, "decoy", ".gemini", "tmp", "decoy"), join(home, ".gemini", "tmp", "linked"));

    const u = new UsageReader(home, worktree, "2026-12-02T09:00:00.000Z").read();
    expect(u).toMatchObject({ source: "gemini", input: 7, cacheRead: 4, output: 7, messages: 2 });
    expect(Object.keys(u?.byModel ?? {})).toEqual(["gemini-3.8-flash"]);
    // The other project's reader sees only its own.
    const o = new UsageReader(home, join(root, "elsewhere", "task"), null).read();
    expect(o).toMatchObject({ input: 999, messages: 1 });
  });

  it("counts nothing from a session stamped with another project's hash in the run's folder", () => {
    const root = mkdtempSync(join(tmpdir(), "bl-usage-"));
    roots.push(root);
    const home = join(root, "home");
    const worktree = join(root, "wt", "task");
    const chats = project(home, "task", worktree);
    writeFileSync(join(chats, "session-x.jsonl"), session("/somewhere/else", "x1", { input: 5 }));
    const u = new UsageReader(home, worktree, null).read();
    expect(u?.messages ?? 0).toBe(0);
  });
});

/** OpenCode's database as it writes it: WAL mode, its message table; left open, so the rows are in the log. */
function opencodeDb(file: string): Database.Database {
  const db = new Database(file);
  open.push(db);
  db.pragma("journal_mode = WAL");
  db.exec(
    "CREATE TABLE message (id text PRIMARY KEY, session_id text NOT NULL, time_created integer NOT NULL, time_updated integer NOT NULL, data text NOT NULL)",
  );
  return db;
}

function addMessage(db: Database.Database, id: string, cwd: string, tokens: Record<string, unknown>): void {
  const data = { role: "assistant", path: { cwd, root: cwd }, tokens, modelID: "claude-sonnet-4-5" };
  db.prepare("INSERT OR REPLACE INTO message VALUES (?, 's1', ?, ?, ?)").run(
    id,
    Date.now(),
    Date.now(),
    JSON.stringify(data),
  );
}

describe("UsageReader, OpenCode's database", () => {
  const tokens = { input: 10, output: 20, reasoning: 0, cache: { read: 5, write: 1 } };

  it("reads the worktree's answers from a copy of the database and its log, in the background", async () => {
    const root = mkdtempSync(join(tmpdir(), "bl-usage-"));
    roots.push(root);
    const home = join(root, "home");
    const worktree = join(root, "wt", "task");
    const data = join(home, ".local", "share", "opencode");
    mkdirSync(data, { recursive: true });
    const db = opencodeDb(join(data, "opencode.db"));
    addMessage(db, "msg_1", worktree, tokens);
    addMessage(db, "msg_2", worktree, tokens);
    addMessage(db, "msg_3", "/somewhere/else", tokens);
    const reader = new UsageReader(home, worktree, new Date(Date.now() - 60_000).toISOString());
    expect(reader.read()).toBeNull(); // the first read has only begun
    const u = await reader.readFinal();
    expect(u).toMatchObject({
      source: "opencode",
      input: 20,
      output: 40,
      cacheRead: 10,
      cacheWrite: 2,
      messages: 2,
    });
    // The answer that ended since: counted at the last look.
    addMessage(db, "msg_4", worktree, tokens);
    expect((await reader.readFinal())?.messages).toBe(3);
  });

  it("reads Kilo's database (an OpenCode fork: ~/.local/share/kilo/kilo.db, the same table) as kilo", async () => {
    const root = mkdtempSync(join(tmpdir(), "bl-usage-"));
    roots.push(root);
    const home = join(root, "home");
    const worktree = join(root, "wt", "task");
    const data = join(home, ".local", "share", "kilo");
    mkdirSync(data, { recursive: true });
    const db = opencodeDb(join(data, "kilo.db"));
    addMessage(db, "msg_1", worktree, tokens);
    addMessage(db, "msg_2", "/somewhere/else", tokens);
    // A file of another name in that folder is not read.
    addMessage(opencodeDb(join(data, "other.db")), "msg_9", worktree, tokens);
    const reader = new UsageReader(home, worktree, new Date(Date.now() - 60_000).toISOString());
    expect(await reader.readFinal()).toMatchObject({ source: "kilo", input: 10, output: 20, messages: 1 });
  });

  it("follows no link to a database, and reads nothing from a message view", async () => {
    const root = mkdtempSync(join(tmpdir(), "bl-usage-"));
    roots.push(root);
    const worktree = join(root, "wt", "task");
    const outside = join(root, "outside");
    mkdirSync(outside);
    addMessage(opencodeDb(join(outside, "opencode.db")), "msg_1", worktree, tokens);
    const linked = join(root, "linked");
    mkdirSync(join(linked, ".local", "share", "opencode"), { recursive: true });
    symlinkSync(join(outside, "opencode.db"), join(linked, ".local", "share", "opencode", "opencode.db"));
    expect((await new UsageReader(linked, worktree, null).readFinal())?.messages ?? 0).toBe(0);

    // A view named message (made to run something of its own): not read.
    const viewed = join(root, "viewed");
    mkdirSync(join(viewed, ".local", "share", "opencode"), { recursive: true });
    const v = new Database(join(viewed, ".local", "share", "opencode", "opencode.db"));
    open.push(v);
    v.exec(
      `CREATE VIEW message AS SELECT 'msg_v' AS id, 0 AS time_created, '${JSON.stringify({ role: "assistant", path: { cwd: worktree }, tokens })}' AS data`,
    );
    expect((await new UsageReader(viewed, worktree, null).readFinal())?.messages ?? 0).toBe(0);
  });
});

/** A Droid session as Droid 0.225.2 writes it: `<id>.jsonl` (cwd, answers) and `<id>.settings.json` (totals). */
function droidSession(dir: string, id: string, cwd: string, input: number, answers: number): void {
  mkdirSync(dir, { recursive: true });
  const lines = [JSON.stringify({ type: "session_start", id, cwd, version: 2 })];
  for (let i = 0; i < answers; i++)
    lines.push(
      JSON.stringify({
        type: "message",
        id: `${id}-${i}`,
        timestamp: new Date().toISOString(),
        message: {
          role: "assistant",
          content: [{ type: "text", text: "ok" }],
          modelId: "custom:Fake-Sonnet-0",
        },
      }),
    );
  writeFileSync(join(dir, `${id}.jsonl`), `${lines.join("\n")}\n`);
  const tokenUsage = { inputTokens: input, outputTokens: 5, cacheReadTokens: 2, thinkingTokens: 1 };
  writeFileSync(
    join(dir, `${id}.settings.json`),
    JSON.stringify({ model: "custom:Fake-Sonnet-0", tokenUsage }),
  );
}

describe("UsageReader, Droid's sessions", () => {
  it("reads the totals of the worktree's sessions under the custom model's own name; another cwd's and a linked file are not counted", () => {
    const root = mkdtempSync(join(tmpdir(), "bl-usage-"));
    roots.push(root);
    const home = join(root, "home");
    const worktree = join(root, "wt", "task");
    const customModels = [{ model: "claude-sonnet-4-5", displayName: "Fake Sonnet", baseUrl: "http://x" }];
    mkdirSync(join(home, ".factory"), { recursive: true });
    writeFileSync(join(home, ".factory", "settings.json"), JSON.stringify({ customModels }));
    const sessions = join(home, ".factory", "sessions");
    droidSession(join(sessions, worktree.replace(/\//g, "-")), "s1", worktree, 10, 2);
    // Another working directory's session, put in the worktree's folder: its first line says so.
    droidSession(join(sessions, worktree.replace(/\//g, "-")), "s2", join(root, "other"), 900, 1);
    // A session whose totals are a link to a file outside: not read.
    const outside = join(root, "outside");
    droidSession(outside, "s3", worktree, 700, 1);
    const linked = join(sessions, "linked");
    droidSession(linked, "s3", worktree, 1, 1);
    rmSync(join(linked, "s3.settings.json"));
    symlinkSync(join(outside, "s3.settings.json"), join(linked, "s3.settings.json"));
    const u = new UsageReader(home, worktree, null).read();
    expect(u).toMatchObject({ source: "droid", input: 10, output: 6, cacheRead: 2, messages: 2 });
    expect(Object.keys(u?.byModel ?? {})).toEqual(["claude-sonnet-4-5"]);
  });
});
