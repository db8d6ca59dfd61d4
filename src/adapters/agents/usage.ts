/**
 * A run's token usage from the agent's own session records in its HOME (the run's own when
 * sandboxed: agent-written, hostile). Files are read through the untrusted door (no link
 * followed, regular files only, bounded), and re-read only when their size changed, so the
 * supervisor can look every few seconds while the agent works. OpenCode's SQLite database is
 * copied the same way and read by another process, in the background (opencode-db.ts).
 */
import { createHash } from "node:crypto";
import { lstatSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import {
  addClaudeTranscript,
  addCodexRollout,
  addGeminiSession,
  addOpencodeMessages,
  emptyUsage,
  type RunUsage,
  sumUsage,
} from "../../core/usage.js";
import {
  addClineMessages,
  addCopilotEvents,
  addDroidSession,
  addPiSession,
  addQwenChat,
  droidCustomModels,
} from "../../core/usage-records.js";
import { entryKind, readUntrustedText } from "../hostile/index.js";
import { readOpencodeMessages } from "./opencode-db.js";

/** Claude Code names a project's folder after its working directory, every other character a dash. */
export function claudeProjectFolder(cwd: string): string {
  return cwd.replace(/[^A-Za-z0-9]/g, "-");
}

const MAX_FILES = 200;
const MAX_FILE = 64 * 1024 * 1024;
/** OpenCode's database is copied and opened by another process: not more often than this. */
const OPENCODE_MS = 10_000;
/**
 * OpenCode's and its fork Kilo's databases (the same schema, measured with Kilo CLI 7.7.7):
 * opencode.db, or opencode-<channel>.db for a build of another channel; kilo.db likewise.
 */
const SQLITE_SOURCES = [
  {
    folder: [".local", "share", "opencode"],
    db: /^opencode(-[A-Za-z0-9._-]{1,60})?\.db$/,
    source: "opencode",
  },
  { folder: [".local", "share", "kilo"], db: /^kilo(-[A-Za-z0-9._-]{1,60})?\.db$/, source: "kilo" },
] as const;
type SqliteSource = (typeof SQLITE_SOURCES)[number];

/** Pi names a working directory's session folder `--<path without its first slash, / as ->--`. */
export function piProjectFolder(cwd: string): string {
  return `--${cwd.replace(/^[/\\]/, "").replace(/[/\\:]/g, "-")}--`;
}

/** A Cline session's folder name (and its files' stem): `<milliseconds>_<suffix>`. */
const CLINE_SESSION = /^[A-Za-z0-9_-]{1,100}$/;
const MAX_CLINE_META = 1024 * 1024;

/**
 * Gemini CLI's folders under `~/.gemini/tmp` whose `.project_root` names the worktree (Gemini CLI
 * 0.61.0 names a project's folder after the last part of its path, `-1`, `-2`... when taken, and
 * writes the path in that marker; `~/.gemini/projects.json` maps it too, but is not carried into
 * a retry's HOME while the folders are).
 */
export function geminiProjectFolders(tmp: string, worktree: string): string[] {
  let names: string[];
  try {
    names = readdirSync(tmp).sort();
  } catch {
    return [];
  }
  const want = resolve(worktree);
  const out: string[] = [];
  for (const name of names.slice(0, MAX_FILES)) {
    if (entryKind(join(tmp, name)) !== "dir") continue;
    let owner: string | null = null;
    try {
      owner = readUntrustedText(join(tmp, name), ".project_root", 4096);
    } catch {
      owner = null;
    }
    if (owner !== null && owner.trim() === want) out.push(name);
  }
  return out;
}

/** Session files (*.jsonl) under a folder, `maxDepth` levels at most, no links. */
function transcripts(dir: string, maxDepth = 2, newestFirst = false): string[] {
  const out: string[] = [];
  const walk = (rel: string, depth: number) => {
    let names: string[];
    try {
      names = readdirSync(join(dir, rel));
    } catch {
      return;
    }
    names.sort();
    if (newestFirst) names.reverse();
    for (const name of names) {
      if (out.length >= MAX_FILES) return;
      const r = rel ? join(rel, name) : name;
      const kind = entryKind(join(dir, r));
      if (kind === "file" && name.endsWith(".jsonl")) out.push(r);
      else if (kind === "dir" && depth < maxDepth) walk(r, depth + 1);
    }
  };
  walk("", 0);
  return out;
}

type FileSource = "claude" | "codex" | "gemini" | "copilot" | "qwen" | "pi";

export class UsageReader {
  private cache = new Map<string, { size: number; usage: RunUsage }>();
  private droidCache = new Map<string, { stamp: string; usage: RunUsage }>();
  private opencodeCache = new Map<string, { stamp: string; at: number; usage: RunUsage; failures: number }>();
  private pending: Promise<void> | null = null;
  /** Gemini CLI stamps each session with the SHA-256 of its project's folder. */
  private readonly geminiHash: string;

  constructor(
    private readonly home: string,
    private readonly worktree: string,
    /** The run's start: records stamped earlier were carried from an earlier run. */
    private readonly since: string | null,
  ) {
    this.geminiHash = createHash("sha256").update(resolve(worktree)).digest("hex");
  }

  /**
   * The agents' records of this run (Claude Code's, Codex's, Gemini CLI's, OpenCode's, Copilot
   * CLI's, Qwen Code's), or null
   * when there are none. OpenCode's database is read in the background: as last read.
   */
  read(): RunUsage | null {
    return this.collect(true);
  }

  private collect(startReads: boolean): RunUsage | null {
    const parts: RunUsage[] = [];
    const claude = this.folder([".claude", "projects", claudeProjectFolder(this.worktree)]);
    if (claude) parts.push(...this.files(claude, 2, "claude"));
    // Codex keeps every session of a HOME by date; the rollout's first line names its cwd.
    const codex = this.folder([".codex", "sessions"]);
    if (codex) parts.push(...this.files(codex, 3, "codex"));
    // Gemini CLI: the project's folder, its sessions in chats/ (a subagent's one folder deeper).
    const gemini = this.folder([".gemini", "tmp"]);
    for (const name of gemini ? geminiProjectFolders(gemini, this.worktree) : []) {
      const chats = this.folder([".gemini", "tmp", name, "chats"]);
      if (chats) parts.push(...this.files(chats, 1, "gemini"));
    }
    parts.push(...this.opencode(startReads));
    // Copilot CLI: a folder per session, its events.jsonl naming its cwd.
    const copilot = this.folder([".copilot", "session-state"]);
    if (copilot) parts.push(...this.files(copilot, 1, "copilot"));
    // Qwen Code names a project's folder as Claude Code does.
    const qwen = this.folder([".qwen", "projects", claudeProjectFolder(this.worktree), "chats"]);
    if (qwen) parts.push(...this.files(qwen, 0, "qwen"));
    const pi = this.folder([".pi", "agent", "sessions", piProjectFolder(this.worktree)]);
    if (pi) parts.push(...this.files(pi, 0, "pi"));
    const cline = this.folder([".cline", "data", "sessions"]);
    if (cline) parts.push(...this.cline(cline));
    // Droid: a folder per working directory (its path, slashes as dashes); each session's first
    // line names its cwd, which is checked rather than the folder's name.
    const droid = this.folder([".factory", "sessions"]);
    if (droid) parts.push(...this.droid(droid));
    if (parts.length === 0) return null;
    const sources = [...new Set(parts.filter((p) => p.messages > 0).map((p) => p.source))];
    return { ...sumUsage(parts), source: sources.join("+") || (parts[0]?.source ?? "none") };
  }

  /** A folder under HOME reached through real folders only, or null. */
  private folder(names: string[]): string | null {
    let at = this.home;
    for (const n of names) {
      at = join(at, n);
      if (entryKind(at) !== "dir") return null;
    }
    return at;
  }

  private files(root: string, depth: number, source: FileSource): RunUsage[] {
    const out: RunUsage[] = [];
    // Codex's folders are dates: the newest first, should there be more than MAX_FILES.
    for (const rel of transcripts(root, depth, source === "codex")) {
      const key = `${root}:${rel}`;
      let size: number;
      try {
        const st = lstatSync(join(root, rel));
        // Untouched since the run began: none of this run's answers are in it.
        if (this.since && st.mtimeMs < Date.parse(this.since) - 1000) continue;
        size = st.size;
      } catch {
        continue;
      }
      let entry = this.cache.get(key);
      if (!entry || entry.size !== size) {
        let text: string | null = null;
        try {
          text = readUntrustedText(root, rel, MAX_FILE);
        } catch {
          text = null; // a link, a folder swapped in, too large: not counted
        }
        if (text === null) continue;
        // Parsed per file, kept as counts (not text): a file is read again only when it grew.
        const usage = emptyUsage(source);
        if (source === "claude") addClaudeTranscript(usage, text, { since: this.since, seen: new Set() });
        else if (source === "codex")
          addCodexRollout(usage, text, { since: this.since, seen: new Set(), cwd: this.worktree });
        else if (source === "copilot")
          addCopilotEvents(usage, text, { since: this.since, seen: new Set(), cwd: this.worktree });
        else if (source === "qwen")
          addQwenChat(usage, text, { since: this.since, seen: new Set(), cwd: this.worktree });
        else if (source === "pi")
          addPiSession(usage, text, { since: this.since, seen: new Set(), cwd: this.worktree });
        else
          addGeminiSession(usage, text, { since: this.since, seen: new Set(), projectHash: this.geminiHash });
        entry = { size, usage };
        this.cache.set(key, entry);
      }
      out.push(entry.usage);
    }
    return out;
  }

  /**
   * Cline's sessions (one folder each, the newest first): those whose `<id>.json` names the
   * worktree as their cwd, their `<id>.messages.json` read again only when its size changed.
   */
  private cline(root: string): RunUsage[] {
    let names: string[];
    try {
      names = readdirSync(root)
        .filter((n) => CLINE_SESSION.test(n))
        .sort()
        .reverse()
        .slice(0, MAX_FILES);
    } catch {
      return [];
    }
    const out: RunUsage[] = [];
    for (const name of names) {
      const rel = join(name, `${name}.messages.json`);
      let size: number;
      try {
        const st = lstatSync(join(root, rel));
        if (!st.isFile() || (this.since && st.mtimeMs < Date.parse(this.since) - 1000)) continue;
        size = st.size;
      } catch {
        continue;
      }
      const key = `${root}:${rel}`;
      let entry = this.cache.get(key);
      if (!entry || entry.size !== size) {
        let meta: string | null;
        let text: string | null;
        try {
          meta = readUntrustedText(root, join(name, `${name}.json`), MAX_CLINE_META);
          text = readUntrustedText(root, rel, MAX_FILE);
        } catch {
          continue; // a link, a folder swapped in, too large: not counted
        }
        if (meta === null || text === null || !sameCwd(meta, this.worktree)) continue;
        const usage = emptyUsage("cline");
        addClineMessages(usage, text, { since: this.since, seen: new Set() });
        entry = { size, usage };
        this.cache.set(key, entry);
      }
      out.push(entry.usage);
    }
    return out;
  }

  /**
   * Droid's sessions: each `<id>.jsonl` (its cwd and answers) with its
   * `<id>.settings.json` (the session's token totals), read again when either's size changed.
   */
  private droid(root: string): RunUsage[] {
    const out: RunUsage[] = [];
    let models: Map<string, string> | null = null;
    for (const rel of transcripts(root, 1)) {
      const settingsRel = rel.replace(/\.jsonl$/, ".settings.json");
      let stamp: string;
      try {
        const st = [lstatSync(join(root, rel)), lstatSync(join(root, settingsRel))];
        if (!st.every((x) => x.isFile())) continue;
        if (this.since && Math.max(...st.map((x) => x.mtimeMs)) < Date.parse(this.since) - 1000) continue;
        stamp = st.map((x) => x.size).join(":");
      } catch {
        continue;
      }
      const key = `${root}:${rel}`;
      let entry = this.droidCache.get(key);
      if (!entry || entry.stamp !== stamp) {
        let jsonl: string | null;
        let settings: string | null;
        try {
          jsonl = readUntrustedText(root, rel, MAX_FILE);
          settings = readUntrustedText(root, settingsRel, MAX_CLINE_META);
          models ??= droidCustomModels(this.droidSettings());
        } catch {
          continue; // a link, a folder swapped in, too large: not counted
        }
        if (jsonl === null || settings === null) continue;
        const usage = emptyUsage("droid");
        addDroidSession(usage, jsonl, settings, { since: this.since, cwd: this.worktree, models });
        entry = { stamp, usage };
        this.droidCache.set(key, entry);
      }
      out.push(entry.usage);
    }
    return out;
  }

  /** Droid's settings.json (its custom models' names), untrusted and bounded, or null. */
  private droidSettings(): string | null {
    const dir = this.folder([".factory"]);
    return dir ? readUntrustedText(dir, "settings.json", MAX_CLINE_META) : null;
  }

  /**
   * The last look, after the agent ended: read() once OpenCode's database, if any, has been read
   * as it is now.
   */
  async readFinal(): Promise<RunUsage | null> {
    await this.pending;
    await this.refreshOpencode(true).catch(() => undefined);
    return this.collect(false);
  }

  /** OpenCode's (and Kilo's) databases as last read; a new read started when one changed and is due. */
  private opencode(startRead: boolean): RunUsage[] {
    if (startRead && !this.pending && SQLITE_SOURCES.some((s) => this.folder([...s.folder]))) {
      this.pending = this.refreshOpencode(false)
        .catch(() => undefined) // the records are the agent's: unreadable is not counted
        .finally(() => {
          this.pending = null;
        });
    }
    return [...this.opencodeCache.values()].map((e) => e.usage);
  }

  private async refreshOpencode(fresh: boolean): Promise<void> {
    for (const source of SQLITE_SOURCES) {
      const dir = this.folder([...source.folder]);
      if (dir) await this.refreshDatabases(dir, source, fresh);
    }
  }

  private async refreshDatabases(dir: string, source: SqliteSource, fresh: boolean): Promise<void> {
    let names: string[];
    try {
      names = readdirSync(dir)
        .filter((n) => source.db.test(n))
        .sort()
        .slice(0, 5);
    } catch {
      return;
    }
    for (const name of names) {
      // The database and its write-ahead log: whether either changed, and since the run began.
      const stats = [name, `${name}-wal`].map((n) => {
        try {
          const st = lstatSync(join(dir, n));
          return st.isFile() ? { size: st.size, mtime: st.mtimeMs } : null;
        } catch {
          return null;
        }
      });
      if (!stats[0]) continue;
      if (this.since && Math.max(...stats.map((st) => st?.mtime ?? 0)) < Date.parse(this.since) - 1000)
        continue;
      const stamp = stats.map((st) => (st ? `${st.size}:${st.mtime}` : "-")).join("|");
      const entry = this.opencodeCache.get(name);
      if (entry?.stamp === stamp) continue;
      // Each failed read (a database made to stop its reader) doubles the wait before the next.
      const wait = OPENCODE_MS * 2 ** Math.min(entry?.failures ?? 0, 6);
      if (entry && !fresh && Date.now() - entry.at < wait) continue;
      const text = await readOpencodeMessages(dir, name, MAX_FILE);
      if (text === null) {
        this.opencodeCache.set(name, {
          stamp: "",
          at: Date.now(),
          usage: entry?.usage ?? emptyUsage(source.source),
          failures: (entry?.failures ?? 0) + 1,
        });
        continue;
      }
      const usage = emptyUsage(source.source);
      addOpencodeMessages(usage, text, { since: this.since, seen: new Set(), cwd: this.worktree });
      this.opencodeCache.set(name, { stamp, at: Date.now(), usage, failures: 0 });
    }
  }
}

/** Whether a Cline session's metadata (JSON) names `worktree` as its working directory. */
function sameCwd(meta: string, worktree: string): boolean {
  try {
    const d: unknown = JSON.parse(meta);
    return typeof d === "object" && d !== null && (d as { cwd?: unknown }).cwd === worktree;
  } catch {
    return false;
  }
}
