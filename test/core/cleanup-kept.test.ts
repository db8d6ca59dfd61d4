import { describe, expect, it } from "vitest";
import { keptWhy } from "../../src/core/cleanup-kept.js";

describe("keptWhy", () => {
  it("names the state and the way to remove the work", () => {
    expect(keptWhy("a", "failed")).toBe(
      "it is failed; its work stays for `ballador retry a` (to remove it: `ballador abandon a`, then cleanup)",
    );
    expect(keptWhy("a", "stopped")).toContain("`ballador resume a`");
    expect(keptWhy("a", "review")).toBe(
      "it is in review; merge it (`ballador merge a`) or abandon it, then cleanup",
    );
    expect(keptWhy("a", "running")).toBe("it is running");
  });
});
