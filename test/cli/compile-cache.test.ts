/** Where the launchers put Node's compile cache, and that Node 20 (without one) runs unchanged. */
import module from "node:module";
import { describe, expect, it } from "vitest";
import { compileCacheDir, enableCompileCache } from "../../src/cli/compile-cache.js";

describe("compile cache", () => {
  it("is Ballador's folder in the person's cache, never inside a run", () => {
    expect(compileCacheDir({ HOME: "/home/p" })).toBe("/home/p/.cache/ballador/compile-cache");
    expect(compileCacheDir({ HOME: "/home/p", XDG_CACHE_HOME: "/c" })).toBe("/c/ballador/compile-cache");
    // A relative XDG_CACHE_HOME is ignored, as the XDG rules say.
    expect(compileCacheDir({ HOME: "/home/p", XDG_CACHE_HOME: "c" })).toBe(
      "/home/p/.cache/ballador/compile-cache",
    );
    // The agent's environment names its task; its HOME is the run's, which the agent writes.
    expect(compileCacheDir({ HOME: "/run/home", BALLADOR_TASK_ID: "a" })).toBeNull();
    expect(compileCacheDir({ HOME: "/home/p", NODE_DISABLE_COMPILE_CACHE: "1" })).toBeNull();
  });

  it("is switched on only where this Node has one (Node 20: nothing, no error)", () => {
    const has =
      typeof (module as unknown as { enableCompileCache?: unknown }).enableCompileCache === "function";
    const got = enableCompileCache({ HOME: "/nonexistent-home-for-test", BALLADOR_TASK_ID: "inside" });
    expect(got).toBeNull();
    if (!has) expect(enableCompileCache({ HOME: "/tmp" })).toBeNull();
  });
});
