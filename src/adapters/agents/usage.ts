/**
 * A run's token usage from the agent's own session records in its HOME (the run's own when
 * sandboxed: agent-written, hostile). Files are read through the untrusted door (no link
 * followed, regular files only, bounded), and re-read only when their size changed, so the
 * supervisor can look every few seconds while the agent works.
 */
import { lstatSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { addClaudeTranscript, emptyUsage, type RunUsage, sumUsage } from "../../core/usage.js";
import { entryKind, readUntrustedText } from "../untrusted/index.js";

/** Claude Code names a project's folder after its working directory, every other character a dash. */
export function claudeProjectFolder(cwd: string): string {
  return cwd.replace(/[^A-Za-z0-9]/g, "-");
}

const MAX_FILES = 200;
const MAX_FILE = 64 * 1024 * 1024;

/** Session files (*.jsonl) under a folder, two levels at most (sub-agents write below), no links. */
function transcripts(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string, depth: number) => {
    let names: string[];
    try {
      names = readdirSync(join(dir, rel));
    } catch {
      return;
    }
    for (const name of names.sort()) {
      if (out.length >= MAX_FILES) return;
      const r = rel ? join(rel, name) : name;
      const kind = entryKind(join(dir, r));
      if (kind === "file" && name.endsWith(".jsonl")) out.push(r);
      else if (kind === "dir" && depth < 2) walk(r, depth + 1);
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

  /** Claude Code's records of this run, or null when there are none. */
  read(): RunUsage | null {
    const projects = join(this.home, ".claude", "projects");
    if (entryKind(join(this.home, ".claude")) !== "dir" || entryKind(projects) !== "dir") return null;
    const folder = claudeProjectFolder(this.worktree);
    if (entryKind(join(projects, folder)) !== "dir") return null;
    const root = join(projects, folder);
    const files = transcripts(root);
    if (files.length === 0) return null;
    const parts: RunUsage[] = [];
    for (const rel of files) {
      let size: number;
      try {
        size = lstatSync(join(root, rel)).size;
      } catch {
        continue;
      }
      let entry = this.cache.get(rel);
      if (!entry || entry.size !== size) {
        let text: string | null = null;
        try {
          text = readUntrustedText(root, rel, MAX_FILE);
        } catch {
          text = null; // a link, a folder swapped in, too large: not counted
        }
        if (text === null) continue;
        // Parsed per file, kept as counts (not text): a file is read again only when it grew.
        const usage = emptyUsage("claude");
        addClaudeTranscript(usage, text, { since: this.since, seen: new Set() });
        entry = { size, usage };
        this.cache.set(rel, entry);
      }
      parts.push(entry.usage);
    }
    return { ...sumUsage(parts), source: "claude" };
  }
}
