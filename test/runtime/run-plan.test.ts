/**
 * A run carries its own plan (issue 30): what provisioning resolved (here a profile's fallback
 * chain) holds for the whole run, whatever happens to .ballador/config.yaml meanwhile; the next
 * launch takes the config as it then stands.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { cleanupProjects, commitAndDone, gate, makeProject, waitFor } from "../helpers/runtime.js";

afterEach(cleanupProjects);

describe("a run's plan", () => {
  it("editing the config while a task runs leaves its fallback alone; the next launch takes the new one", async () => {
    const p = await makeProject({
      config: {
        agents: {
          default: "scripted",
          profiles: { scripted: { preset: "scripted" }, rescue: { preset: "scripted" } },
        },
      },
    });
    // Attempt 1 fails (exit 1 without done); a second attempt, by whichever profile, succeeds.
    const steps = (name: string) => [{ run: "test {attempt} -ge 2" }, ...commitAndDone(`${name}.txt`)];
    await p.part("one", { steps: [gate(p, "go"), ...steps("one")] });
    await p.ok(["queue"]);
    await p.ok(["launch"]);
    // The run is provisioned (its run file written) and its agent waits at the gate.
    await waitFor(async () => {
      const run = (await p.show("one")).runs.at(-1);
      return run && existsSync(join(run.runDir, "run.json")) ? true : undefined;
    }, "one's run file");

    const file = join(p.dir, ".ballador/config.yaml");
    const config = parse(await readFile(file, "utf8")) as {
      agents: { profiles: Record<string, Record<string, unknown>> };
    };
    config.agents.profiles.scripted = { preset: "scripted", fallback: "rescue" };
    await p.write(".ballador/config.yaml", stringify(config));
    await p.open("go");

    // The running task keeps the plan it started with: no fallback, so it fails.
    const one = await p.reaches("one", "failed");
    expect(one.reason).toMatch(/^agent: exited with code 1/);
    expect((await p.show("one")).runs.map((r) => (r as { profile: string }).profile)).toEqual(["scripted"]);

    // The next launch plans with the config as it now stands: the fallback takes over.
    await p.part("two", { steps: steps("two") });
    await p.ok(["queue"]);
    await p.ok(["launch"]);
    await p.waitState("two", "review", 60_000);
    expect((await p.show("two")).runs.map((r) => (r as { profile: string }).profile)).toEqual([
      "scripted",
      "rescue",
    ]);
  }, 120_000);
});
