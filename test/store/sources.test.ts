/** The tracker outbox of task sources (issue 33): each write queued once, sent by one sender. */
import { afterEach, describe, expect, it } from "vitest";
import { TaskStore } from "../../src/adapters/store/index.js";
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
});
