/**
 * What a `merge` leaves while it runs: a folder under the state directory with a temporary
 * worktree, a verification checkout and a sandboxed verify process. A marker in that folder
 * (host-only: the verify's sandbox cannot write it) names the merging process, the verify's
 * process group and the sandbox runtime's proxy sockets, so that after a `kill -9` of the merge
 * the next command can end the verify, remove the worktrees and the folder, and say so. Only
 * folders holding such a marker are ever removed.
 */
import { existsSync, lstatSync, readdirSync, readFileSync, rmSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { listWorktrees, pruneWorktrees, removeWorktree } from "../adapters/git/index.js";
import { isAlive, killGroup } from "../adapters/process/shell.js";
import { writeAtomic } from "../adapters/runfolder/index.js";

const MARKER = "merge.json";

export interface MergeMarker {
  pid: number;
  task: string;
  startedAt: string;
  pgid: number | null;
  sockets: string[];
}

export function writeMergeMarker(mergeDir: string, marker: MergeMarker): void {
  writeAtomic(join(mergeDir, MARKER), JSON.stringify(marker));
}

function readMarker(mergeDir: string): MergeMarker | null {
  try {
    const m = JSON.parse(readFileSync(join(mergeDir, MARKER), "utf8")) as MergeMarker;
    return typeof m.pid === "number" ? m : null;
  } catch {
    return null;
  }
}

/** Removes a merge folder Ballador made: its registered worktrees first, then the folder. */
export async function removeMergeDir(repo: string, mergeDir: string): Promise<void> {
  if (!readMarker(mergeDir)) return; // not ours: never removed
  for (const w of await listWorktrees(repo).catch(() => [])) {
    if (w.path.startsWith(`${mergeDir}/`))
      await removeWorktree(repo, w.path, { force: true }).catch(() => undefined);
  }
  await pruneWorktrees(repo).catch(() => undefined);
  rmSync(mergeDir, { recursive: true, force: true });
}

/** The runtime's proxy sockets are /tmp/claude-(http|socks)-<hex>.sock; only those are removed. */
const SOCKET = /^\/tmp\/claude-(http|socks)-[0-9a-f]{8,64}\.sock$/;

/** Merges whose process died: their verify ended, worktrees and folders removed. */
export async function reconcileMerges(repo: string, stateDir: string, repair: boolean): Promise<string[]> {
  const root = join(stateDir, "merges");
  if (!existsSync(root)) return [];
  const out: string[] = [];
  for (const name of readdirSync(root)) {
    const dir = join(root, name);
    const marker = readMarker(dir);
    if (!marker || marker.pid === process.pid || isAlive(marker.pid)) continue;
    if (!repair) {
      out.push(`merge of ${marker.task} (process ${marker.pid}) died and left ${dir}`);
      continue;
    }
    const done: string[] = [];
    if (marker.pgid && marker.pgid > 1 && isAlive(marker.pgid)) {
      killGroup(marker.pgid, "SIGKILL");
      done.push(`ended its verification (process group ${marker.pgid})`);
    }
    for (const s of marker.sockets) {
      try {
        if (SOCKET.test(s) && lstatSync(s).isSocket()) {
          unlinkSync(s);
          done.push(`removed ${s}`);
        }
      } catch {
        // already gone
      }
    }
    await removeMergeDir(repo, dir);
    done.push(`removed ${dir}`);
    out.push(`interrupted merge of ${marker.task} cleaned up: ${done.join(", ")}`);
  }
  return out;
}
