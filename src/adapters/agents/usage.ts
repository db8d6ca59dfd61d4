/**
 * A run's token usage from the agent's own session records in its HOME (the run's own when
 * sandboxed: agent-written, hostile). Files are read through the untrusted door (no link
 * followed, regular files only, bounded), and re-read only when their size changed, so the
 * supervisor can look every few seconds while the agent works.
 */
import { lstatSync, readdirSync } from "node:fs";
import { join } from "node:path";
import {
  addClaudeTranscript,
  addCodexRollout,
  emptyUsage,
  type RunUsage,
  sumUsage,
} from "../../core/usage.js";
import { entryKind, readUntrustedText } from "../untrusted/index.js";

/** Claude Code names a project's folder after its working directory, every other character a dash. */
export function claudeProjectFolder(cwd: string): string {
  return cwd.replace(/[^A-Za-z0-9]/g, "-");
}

const MAX_FILES = 200;
const MAX_FILE = 64 * 1024 * 1024;

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

export class UsageReader {
  private cache = new Map<string, { size: number; usage: RunUsage }>();

  constructor(
    private readonly home: string,
    private readonly worktree: string,
    /** The run's start: records stamped earlier were carried from an earlier run. */
    private readonly since: string | null,
  ) {}

  /** The agents' records of this run (Claude Code's, Codex's), or null when there are none. */
  read(): RunUsage | null {
    const parts: RunUsage[] = [];
    const claude = this.folder([".claude", "projects", claudeProjectFolder(this.worktree)]);
    if (claude) parts.push(...this.files(claude, 2, "claude"));
    // Codex keeps every session of a HOME by date; the rollout's first line names its cwd.
    const codex = this.folder([".codex", "sessions"]);
    if (codex) parts.push(...this.files(codex, 3, "codex"));
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

  private files(root: string, depth: number, source: "claude" | "codex"): RunUsage[] {
    const out: RunUsage[] = [];
    // Codex's folders are dates: the newest first, should there be more than MAX_FILES.
    for (const rel of transcripts(root, depth, source === "codex")) {
      const key = `${source}:${rel}`;
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
        else addCodexRollout(usage, text, { since: this.since, seen: new Set(), cwd: this.worktree });
        entry = { size, usage };
        this.cache.set(key, entry);
      }
      out.push(entry.usage);
    }
    return out;
  }
}
