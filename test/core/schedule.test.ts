/**
 * The scheduler's slots (spec 0013): max_parallel is this machine's, so a run bound for a runner
 * takes no home slot; launch --max caps the starts of one launch wherever they go.
 */
import { describe, expect, it } from "vitest";
import { type Candidate, planLaunch } from "../../src/core/schedule.js";

const profiles = [{ name: "scripted", enabled: true, maxSessions: null, running: 0 }];
const task = (id: string, seq: number, remote = false): Candidate => ({
  id,
  priority: 0,
  seq,
  agent: "scripted",
  remote,
});

describe("planLaunch with runners", () => {
  it("gives runs bound for a runner no home slot", () => {
    const plan = planLaunch(
      [task("here1", 1), task("there1", 2, true), task("there2", 3, true), task("here2", 4)],
      {
        freeSlots: 1,
        profiles,
      },
    );
    expect(plan.start.map((a) => a.id)).toEqual(["here1", "there1", "there2"]);
    expect(plan.deferred).toEqual([{ id: "here2", why: "all slots are taken (max_parallel)" }]);
  });

  it("caps one launch's starts with maxStarts, here and there together", () => {
    const plan = planLaunch([task("there1", 1, true), task("here1", 2), task("there2", 3, true)], {
      freeSlots: 5,
      profiles,
      maxStarts: 2,
    });
    expect(plan.start.map((a) => a.id)).toEqual(["there1", "here1"]);
    expect(plan.deferred).toEqual([{ id: "there2", why: "this launch starts no more (--max)" }]);
  });

  it("still counts every run of a profile against the profile's max_sessions", () => {
    const plan = planLaunch([task("there1", 1, true), task("there2", 2, true)], {
      freeSlots: 0,
      profiles: [{ name: "scripted", enabled: true, maxSessions: 1, running: 0 }],
    });
    expect(plan.start.map((a) => a.id)).toEqual(["there1"]);
    expect(plan.deferred[0]?.why).toMatch(/max_sessions/);
  });
});
