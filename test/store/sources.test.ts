/** The tracker outbox of task sources (issue 33): each write queued once, sent by one sender. */
import { afterEach, describe, expect, it } from "vitest";
import { type QueuedPart, TaskStore } from "../../src/adapters/store/index.js";
import { cleanupTempDirs, makeTempDir } from "../helpers/cli.js";

afterEach(cleanupTempDirs);

const write = { key: "gh-1:review", taskId: "gh-1", source: "gh", ref: "1", state: "review", payload: "{}" };

describe("the tracker outbox", () => {
  it("queues a write once per key, leases it to one sender, and keeps a failure for the next try", async () => {
    const dir = await makeTempDir();
    const a = TaskStore.open(dir);
    const b = TaskStore.open(dir); // a second process's connection
    expect(a.queueSourceWrite(write)).toBe(true);
    expect(b.queueSourceWrite({ ...write, payload: '{"other":1}' })).toBe(false);
    expect(a.pendingSourceWrites("gh").map((w) => w.payload)).toEqual(["{}"]);

    expect(a.leaseSourceWrite(write.key, 60_000)).toBe(true);
    expect(b.leaseSourceWrite(write.key, 60_000)).toBe(false);
    a.sourceWriteDone(write.key, "HTTP 502");
    expect(b.pendingSourceWrites("gh")).toMatchObject([{ attempts: 1, lastError: "HTTP 502", sentAt: null }]);

    // A sender that died: its lease runs out and another takes the write.
    expect(b.leaseSourceWrite(write.key, -1)).toBe(true);
    expect(a.leaseSourceWrite(write.key, 60_000)).toBe(true);
    a.sourceWriteDone(write.key, null);
    expect(a.pendingSourceWrites("gh")).toEqual([]);
    expect(b.leaseSourceWrite(write.key, 60_000)).toBe(false);
    expect(b.sourceWrites("gh-1")).toMatchObject([{ attempts: 2, lastError: null }]);
    a.close();
    b.close();
  });

  it("links tasks to issues, one task per issue of a source", async () => {
    const store = TaskStore.open(await makeTempDir());
    const link = { taskId: "gh-1", source: "gh", ref: "1", key: "#1", url: null, issueHash: "h1" };
    store.linkSourceItems([link]);
    store.linkSourceItems([{ ...link, issueHash: "h2" }]);
    expect(store.sourceItems("gh")).toEqual([{ ...link, issueHash: "h2", gone: null }]);
    expect(() => store.linkSourceItems([{ ...link, taskId: "gh-other" }])).toThrow(/UNIQUE/);
    store.markSourceItemGone("gh-1", "closed upstream");
    expect(store.sourceItem("gh-1")?.gone).toBe("closed upstream");
    store.close();
  });

  it("queues a state's write in the transaction of the change, once per state, for a live link only and not when the tracker caused it", async () => {
    const store = TaskStore.open(await makeTempDir());
    const part = (id: string): QueuedPart => ({
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
      partPath: `.ballador/parts/gh/${id}.md`,
      partHash: id,
    });
    store.queueParts([part("gh-1"), part("gh-2"), part("gh-3"), part("local")], "test");
    const link = (taskId: string, ref: string) => ({
      taskId,
      source: "gh",
      ref,
      key: `#${ref}`,
      url: null,
      issueHash: "h",
    });
    store.linkSourceItems([link("gh-1", "1"), link("gh-2", "2"), link("gh-3", "3")]);
    store.markSourceItemGone("gh-3", "closed upstream");
    let signals = 0;
    store.onSourceWriteQueued(() => signals++);
    const by = { cause: "test", actor: "cli" };
    store.transition("gh-1", "running", by);
    store.transition("gh-1", "verifying", by); // still "running" to the tracker: nothing new
    store.transition("gh-1", "failed", { ...by, reason: "verify failed" });
    store.transition("gh-1", "ready", by);
    store.transition("gh-1", "running", by); // announced once: not again
    store.transition("gh-2", "abandoned", { cause: "issue #2 was closed upstream", actor: "source:gh" });
    store.transition("gh-3", "running", by); // its issue is gone
    store.transition("local", "running", by); // not from a tracker
    // A change that rolls back takes its write with it.
    expect(() =>
      store.tx(() => {
        store.transition("gh-1", "stopped", by);
        throw new Error("rolled back");
      }),
    ).toThrow("rolled back");
    expect(store.pendingSourceWrites("gh").map((w) => [w.key, JSON.parse(w.payload)])).toEqual([
      ["gh-1:running", { reason: null }],
      ["gh-1:failed", { reason: "verify failed" }],
    ]);
    await new Promise((r) => setImmediate(r));
    expect(signals).toBe(2);
    store.close();
  });
});
