import { describe, expect, it } from "vitest";
import {
  checkSessionName,
  dashboardActor,
  isDashboardActor,
  isIdle,
  toEvict,
} from "../../src/core/dashboard-session.js";

describe("dashboard session rules", () => {
  it("accepts names of any script and cleans spaces", () => {
    expect(checkSessionName("  Zoë  O'Neil ")).toEqual({ ok: true, name: "Zoë O'Neil" });
    expect(checkSessionName("陈伟")).toEqual({ ok: true, name: "陈伟" });
    expect(checkSessionName("sam@laptop-2")).toEqual({ ok: true, name: "sam@laptop-2" });
  });

  it("refuses markup, controls, bidi overrides, empty and long names", () => {
    for (const bad of ["<b>x</b>", "a\nb", "a\u202eb", "a\u0000", "", "   ", "x".repeat(41), 42, null]) {
      expect(checkSessionName(bad).ok, String(bad)).toBe(false);
    }
    expect(checkSessionName("x".repeat(40)).ok).toBe(true);
  });

  it("ends idle sessions and evicts the least recently seen at the cap", () => {
    const t = Date.parse("2026-12-07T10:00:00.000Z");
    expect(isIdle("2026-12-07T09:59:00.000Z", t, 60_000)).toBe(true);
    expect(isIdle("2026-12-07T09:59:30.000Z", t, 60_000)).toBe(false);
    const s = [
      { id: "a", lastSeen: "2026-12-07T09:00:00.000Z" },
      { id: "b", lastSeen: "2026-12-07T08:00:00.000Z" },
      { id: "c", lastSeen: "2026-12-07T09:30:00.000Z" },
    ];
    expect(toEvict(s, 4)).toEqual([]);
    expect(toEvict(s, 3).map((x) => x.id)).toEqual(["b"]);
    expect(toEvict(s, 2).map((x) => x.id)).toEqual(["b", "a"]);
    expect(dashboardActor("Sam", "s1")).toBe("Sam (dashboard)");
    expect(dashboardActor(null, "s1")).toBe("dashboard session s1");
    expect(["Sam (dashboard)", "dashboard session s1", "dashboard"].every(isDashboardActor)).toBe(true);
    expect(["cli", "supervisor", "dashboards"].some(isDashboardActor)).toBe(false);
  });
});
