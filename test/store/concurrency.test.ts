/**
 * Many processes write to one task store at once (agents report concurrently). Real processes,
 * real SQLite file: each child imports the built store from dist/ and writes after a common
 * start signal, so the writes truly overlap.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type QueuedPart, TaskStore } from "../../src/adapters/store/index.js";
import { cleanupTempDirs, distUrl, makeTempDir } from "../helpers/cli.js";

const WRITER = `
const [storeUrl, stateDir, taskId, notesText] = process.argv.slice(2);
const notes = Number(notesText);
const { TaskStore } = await import(storeUrl);
const store = TaskStore.open(stateDir);
// Ready; wait (idle, not polling) for the common start signal on stdin.
process.stdout.write("ready\\n");
await new Promise((resolve) => process.stdin.once("data", resolve));
process.stdin.destroy();
for (let i = 0; i < notes; i++) {
  store.addNote(taskId, null, "note", taskId + " note " + i);
  if (i === Math.floor(notes / 2) && store.task(taskId)) {
    store.transition(taskId, "running", { cause: "concurrency test", actor: taskId });
  }
}
store.close();
process.stdout.write("ok " + taskId);
`;

interface Exit {
  id: string;
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Starts one writer process per id, waits until every one has opened the store and said
 * "ready", then sends the start signal to all of them in one go.
 */
async function runWriters(stateDir: string, ids: string[], notes: number): Promise<Exit[]> {
  const work = await makeTempDir("bl-writers-");
  const script = join(work, "writer.mjs");
  await writeFile(script, WRITER);
  const storeUrl = distUrl("adapters/store/index.js");
  const children = ids.map((id) => {
    const child = spawn(process.execPath, [script, storeUrl, stateDir, id, String(notes)], {
      stdio: ["pipe", "pipe", "pipe"],
    });
    child.stdin.on("error", () => {}); // a writer that already died is reported by its exit code
    let stdout = "";
    let stderr = "";
    let markReady: () => void = () => {};
    const ready = new Promise<void>((r) => {
      markReady = r;
    });
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
      if (stdout.startsWith("ready\n")) markReady();
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    const exit = new Promise<Exit>((resolve) => {
      child.on("close", (code) => {
        markReady(); // a writer that died before "ready" must not hold the others back
        resolve({ id, code, stdout: stdout.replace(/^ready\n/, ""), stderr });
      });
    });
    return { child, ready, exit };
  });
  await Promise.all(children.map((c) => c.ready));
  for (const c of children) if (c.child.stdin.writable) c.child.stdin.end("go\n");
  return Promise.all(children.map((c) => c.exit));
}

function part(id: string): QueuedPart {
  return {
    id,
    title: id,
    spec: null,
    agent: null,
    role: null,
    scope: [],
    needs: [],
    verify: null,
    priority: 0,
    body: "",
    partPath: null,
    partHash: id,
  };
}

afterEach(cleanupTempDirs);

describe("concurrent writers", () => {
  it("loses nothing when 50 processes each add 20 notes and make a transition at once", async () => {
    const stateDir = await makeTempDir("bl-conc-");
    const ids = Array.from({ length: 50 }, (_, i) => `task-${i}`);
    const setup = TaskStore.open(stateDir);
    setup.queueParts(ids.map(part), "test");
    setup.close();

    const exits = await runWriters(stateDir, ids, 20);
    const failed = exits.filter((e) => e.code !== 0 || e.stdout !== `ok ${e.id}`);
    expect(failed, failed.map((f) => `${f.id}: exit ${f.code}\n${f.stderr}`).join("\n")).toEqual([]);

    const store = TaskStore.open(stateDir);
    try {
      const noteCount = store.db.prepare("SELECT COUNT(*) AS n FROM notes").get() as { n: number };
      expect(noteCount.n).toBe(50 * 20);
      for (const id of ids) {
        expect(store.notes(id).map((n) => n.text)).toEqual(
          Array.from({ length: 20 }, (_, i) => `${id} note ${i}`),
        );
        expect(store.task(id)?.state).toBe("running");
        // queued (insert), ready (settled), running (the writer's transition): exactly three.
        expect(store.events(id).map((e) => `${e.from ?? "-"}>${e.to}:${e.actor}`)).toEqual([
          "->queued:test",
          "queued>ready:test",
          `ready>running:${id}`,
        ]);
      }
      expect(store.events()).toHaveLength(50 * 3);
      // Event sequence numbers are unique and gapless: no write was half-done.
      const seqs = store.events().map((e) => e.seq);
      expect(new Set(seqs).size).toBe(seqs.length);
      expect(Math.max(...seqs) - Math.min(...seqs) + 1).toBe(seqs.length);
    } finally {
      store.close();
    }
  });

  it("survives 10 processes creating and migrating a brand-new store at the same moment", async () => {
    const stateDir = join(await makeTempDir("bl-conc-new-"), "state");
    expect(existsSync(stateDir)).toBe(false);
    const ids = Array.from({ length: 10 }, (_, i) => `w-${i}`);
    // The store does not exist until the writers open it; they race to create and migrate it.
    const exits = await runWriters(stateDir, ids, 5);
    const failed = exits.filter((e) => e.code !== 0);
    expect(failed, failed.map((f) => `${f.id}: exit ${f.code}\n${f.stderr}`).join("\n")).toEqual([]);
    const store = TaskStore.open(stateDir);
    try {
      const n = store.db.prepare("SELECT COUNT(*) AS n FROM notes").get() as { n: number };
      expect(n.n).toBe(10 * 5);
    } finally {
      store.close();
    }
  });
});
