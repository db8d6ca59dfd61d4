import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type QueuedPart, StoreError, TaskStore } from "../../src/adapters/store/index.js";
import { MIGRATIONS } from "../../src/adapters/store/migrations.js";
import { IllegalTransitionError, type TaskState } from "../../src/core/states.js";
import { cleanupTempDirs, makeTempDir } from "../helpers/cli.js";

let dir: string;
const open: TaskStore[] = [];

function openStore(opts: { stack?: boolean } = {}): TaskStore {
  const s = TaskStore.open(dir, opts);
  open.push(s);
  return s;
}

function part(id: string, needs: string[] = [], extra: Partial<QueuedPart> = {}): QueuedPart {
  return {
    id,
    title: `Title of ${id}`,
    spec: null,
    agent: null,
    role: null,
    scope: [],
    needs,
    verify: null,
    priority: 0,
    body: `body of ${id}`,
    partPath: `.ballador/parts/x/${id}.md`,
    partHash: `hash-${id}`,
    ...extra,
  };
}

const by = { cause: "test", actor: "tester" };

/** Moves a task along a path of states, one transition per step. */
function walk(store: TaskStore, id: string, path: TaskState[]): void {
  for (const to of path) store.transition(id, to, by);
}

beforeEach(async () => {
  dir = await makeTempDir("bl-store-");
});

afterEach(async () => {
  for (const s of open.splice(0)) s.close();
  await cleanupTempDirs();
});

describe("the store file", () => {
  it("applies every migration and records it in user_version, in WAL mode", () => {
    const store = openStore();
    expect(store.db.pragma("user_version", { simple: true })).toBe(MIGRATIONS.length);
    expect(store.db.pragma("journal_mode", { simple: true })).toBe("wal");
    const tables = (
      store.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as {
        name: string;
      }[]
    ).map((r) => r.name);
    expect(tables).toEqual(expect.arrayContaining(["deps", "events", "notes", "runs", "tasks"]));
  });

  it("reopens an existing store without migrating again, keeping its data", () => {
    const first = openStore();
    first.queueParts([part("a")], "cli");
    first.close();
    open.splice(0);
    const second = openStore();
    expect(second.db.pragma("user_version", { simple: true })).toBe(MIGRATIONS.length);
    expect(second.task("a")?.state).toBe("ready");
  });

  it("refuses a store written by a newer Ballador", () => {
    const store = openStore();
    store.db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    store.close();
    open.splice(0);
    expect(() => openStore()).toThrow(StoreError);
    expect(() => openStore()).toThrow(/newer than this Ballador/);
  });
});

describe("the event log", () => {
  it("is append-only: sqlite itself refuses UPDATE and DELETE", () => {
    const store = openStore();
    store.queueParts([part("a")], "cli");
    const before = store.events();
    expect(before.length).toBeGreaterThan(0);
    expect(() => store.db.prepare("UPDATE events SET cause = 'rewritten'").run()).toThrow(
      /events are append-only/,
    );
    expect(() => store.db.prepare("DELETE FROM events").run()).toThrow(/events are append-only/);
    expect(store.events()).toEqual(before);
  });

  it("tells a watcher which tasks changed since the seq it kept, each once, and nothing twice", () => {
    const store = openStore();
    store.queueParts([part("a"), part("b", ["a"]), part("c")], "cli");
    const start = store.lastEventSeq();
    expect(store.changedSince(start)).toEqual({ ids: [], seq: start });
    walk(store, "a", ["running", "verifying", "review"]);
    walk(store, "c", ["running"]);
    const first = store.changedSince(start);
    expect(first.ids.sort()).toEqual(["a", "c"]);
    expect(first.seq).toBe(store.lastEventSeq());
    expect(store.changedSince(first.seq)).toEqual({ ids: [], seq: first.seq });
    // Another handle (another process) commits: seen on the next look, with the dependent.
    const other = TaskStore.open(dir, {});
    open.push(other);
    other.transition("a", "merged", by);
    expect(store.changedSince(first.seq).ids.sort()).toEqual(["a", "b"]);
  });

  it("records a transition with time, task, from, to, cause, actor, run and detail", () => {
    const store = openStore();
    store.queueParts([part("a")], "cli");
    const t0 = Date.now();
    store.transition("a", "running", {
      cause: "launched",
      actor: "supervisor",
      runId: "run-1",
      detail: "first attempt",
      attempt: 1,
      branch: "ballador/a",
    });
    const last = store.events("a").at(-1);
    expect(last).toMatchObject({
      taskId: "a",
      from: "ready",
      to: "running",
      cause: "launched",
      actor: "supervisor",
      runId: "run-1",
      detail: "first attempt",
    });
    expect(Date.parse(last?.at ?? "")).toBeGreaterThanOrEqual(t0 - 1000);
    const task = store.task("a");
    expect(task).toMatchObject({ state: "running", attempt: 1, branch: "ballador/a" });
  });

  it("tells the whole story of a task, in order", () => {
    const store = openStore();
    store.queueParts([part("a")], "cli");
    walk(store, "a", ["running", "verifying", "review", "merged"]);
    expect(store.events("a").map((e) => `${e.from ?? "-"}>${e.to}`)).toEqual([
      "->queued",
      "queued>ready",
      "ready>running",
      "running>verifying",
      "verifying>review",
      "review>merged",
    ]);
    expect(store.events("a")[0]?.actor).toBe("cli");
  });

  it("leaves no trace of an illegal transition", () => {
    const store = openStore();
    store.queueParts([part("a")], "cli");
    const events = store.events();
    const task = store.task("a");
    expect(() => store.transition("a", "merged", by)).toThrow(IllegalTransitionError);
    expect(store.events()).toEqual(events);
    expect(store.task("a")).toEqual(task);
  });

  it("refuses a move from an unexpected state and a move of an unknown task, writing nothing", () => {
    const store = openStore();
    store.queueParts([part("a")], "cli");
    const events = store.events();
    expect(() => store.transition("a", "running", { ...by, expectFrom: ["failed"] })).toThrow(
      "task a is ready, expected failed",
    );
    expect(() => store.transition("ghost", "ready", by)).toThrow('no task "ghost"');
    expect(store.events()).toEqual(events);
    expect(store.task("a")?.state).toBe("ready");
  });
});

describe("readiness", () => {
  it("makes a task without dependencies ready at once, and its dependent wait", () => {
    const store = openStore();
    const r = store.queueParts([part("a"), part("b", ["a"])], "cli");
    expect(r.inserted).toEqual(["a", "b"]);
    expect(store.task("a")?.state).toBe("ready");
    expect(store.task("b")?.state).toBe("queued");
  });

  it("makes a dependent ready only once its dependency is merged (stacking off)", () => {
    const store = openStore();
    store.queueParts([part("a"), part("b", ["a"])], "cli");
    for (const s of ["running", "verifying", "review"] as const) {
      store.transition("a", s, by);
      expect(store.task("b")?.state, `a is ${s}`).toBe("queued");
    }
    store.transition("a", "merged", by);
    expect(store.task("b")?.state).toBe("ready");
    const ev = store.events("b").at(-1);
    expect(ev).toMatchObject({ from: "queued", to: "ready", cause: "dependencies satisfied" });
  });

  it("waits for every dependency, not just one", () => {
    const store = openStore();
    store.queueParts([part("a"), part("b"), part("c", ["a", "b"])], "cli");
    walk(store, "a", ["running", "verifying", "review", "merged"]);
    expect(store.task("c")?.state).toBe("queued");
    walk(store, "b", ["running", "verifying", "review", "merged"]);
    expect(store.task("c")?.state).toBe("ready");
  });

  it("makes a dependent ready once its dependency is in review when stacking is on", () => {
    const store = openStore({ stack: true });
    store.queueParts([part("a"), part("b", ["a"])], "cli");
    walk(store, "a", ["running", "verifying"]);
    expect(store.task("b")?.state).toBe("queued");
    store.transition("a", "review", by);
    expect(store.task("b")?.state).toBe("ready");
  });

  it("sends a dependent back to queued when a stacked dependency leaves review", () => {
    const store = openStore({ stack: true });
    store.queueParts([part("a"), part("b", ["a"])], "cli");
    walk(store, "a", ["running", "verifying", "review"]);
    expect(store.task("b")?.state).toBe("ready");
    store.transition("a", "running", { cause: "changes requested", actor: "person" });
    expect(store.task("b")?.state).toBe("queued");
    expect(store.events("b").at(-1)).toMatchObject({
      from: "ready",
      to: "queued",
      cause: "a dependency is no longer satisfied",
    });
  });

  it("makes a new part ready at once when its dependency is already merged", () => {
    const store = openStore();
    store.queueParts([part("a")], "cli");
    walk(store, "a", ["running", "verifying", "review", "merged"]);
    store.queueParts([part("later", ["a"])], "cli");
    expect(store.task("later")?.state).toBe("ready");
  });
});

describe("re-queueing", () => {
  it("updates a part that has not started, leaves an identical one alone", () => {
    const store = openStore();
    store.queueParts([part("a"), part("b", ["a"])], "cli");
    const r = store.queueParts(
      [part("a", [], { title: "New title", partHash: "hash-a2", priority: 3 }), part("b", ["a"])],
      "cli",
    );
    expect(r).toEqual({ inserted: [], updated: ["a"], unchanged: ["b"] });
    expect(store.task("a")).toMatchObject({ title: "New title", priority: 3, state: "ready" });
    expect(store.events("a").at(-1)).toMatchObject({
      from: "ready",
      to: "ready",
      cause: "part updated by re-queue",
    });
  });

  it("re-settles readiness when an edit adds a dependency", () => {
    const store = openStore();
    store.queueParts([part("a"), part("b")], "cli");
    expect(store.task("b")?.state).toBe("ready");
    store.queueParts([part("b", ["a"], { partHash: "hash-b2" })], "cli");
    expect(store.task("b")?.state).toBe("queued");
    expect(store.task("b")?.needs).toEqual(["a"]);
  });

  it("refuses to change the part of a started task, and rolls back the whole batch", () => {
    const store = openStore();
    store.queueParts([part("a")], "cli");
    store.transition("a", "running", by);
    const events = store.events();
    expect(() =>
      store.queueParts([part("fresh"), part("a", [], { title: "changed", partHash: "hash-a2" })], "cli"),
    ).toThrow("task a is running: its part cannot change now");
    expect(store.task("fresh")).toBeNull();
    expect(store.task("a")?.title).toBe("Title of a");
    expect(store.events()).toEqual(events);
  });

  it("keeps queue order in seq across batches", () => {
    const store = openStore();
    store.queueParts([part("z"), part("y")], "cli");
    store.queueParts([part("a")], "cli");
    expect(store.tasks().map((t) => t.id)).toEqual(["z", "y", "a"]);
  });
});

describe("runs and notes", () => {
  const run = (id: string, status: "provisioning" | "running" | "ended") => ({
    id,
    taskId: "a",
    attempt: 1,
    profile: "claude",
    status,
    worktree: `/tmp/wt-${id}`,
    branch: "ballador/a",
    base: "main",
    session: `s-${id}`,
    runDir: `/tmp/run-${id}`,
    supervisorPid: null,
    createdWorktree: true,
    createdBranch: false,
    startedAt: new Date().toISOString(),
  });

  it("lets the database refuse a second live run of one task (runs_one_live)", () => {
    const store = openStore();
    store.queueParts([part("a")], "cli");
    store.createRun(run("r1", "running"));
    expect(() => store.createRun(run("r2", "provisioning"))).toThrow(/UNIQUE constraint failed/);
    expect(store.runsOf("a").map((r) => r.id)).toEqual(["r1"]);
    // Once the first run has ended, a new one may start.
    store.updateRun("r1", { status: "ended", exitCode: 0, endedAt: new Date().toISOString() });
    store.createRun(run("r3", "running"));
    expect(store.liveRuns().map((r) => r.id)).toEqual(["r3"]);
    expect(store.run("r1")).toMatchObject({ status: "ended", exitCode: 0, createdWorktree: true });
  });

  it("keeps notes per task, in order", () => {
    const store = openStore();
    store.queueParts([part("a"), part("b")], "cli");
    store.addNote("a", null, "note", "first");
    store.addNote("b", "r1", "blocked", "other task");
    store.addNote("a", "r1", "summary", "second");
    expect(store.notes("a").map((n) => [n.kind, n.text, n.runId])).toEqual([
      ["note", "first", null],
      ["summary", "second", "r1"],
    ]);
  });
});
