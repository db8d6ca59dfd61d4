/**
 * `sandbox.mode: none` is an explicit opt-out that every surface flags; with the sandbox on,
 * `doctor` checks what it needs (bubblewrap, socat, user namespaces, ripgrep).
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { cleanupProjects, commitAndDone, makeProject } from "../helpers/runtime.js";
import { makeSandboxProject } from "../helpers/sandbox.js";

afterEach(cleanupProjects);

interface DoctorJson {
  checks: Array<{ name: string; ok: boolean; warn?: boolean; detail: string; fix?: string }>;
  ok: boolean;
}

describe("sandbox: loud when off, checked when on", () => {
  it("sandbox.mode: none says SANDBOX OFF in status, doctor and the session log", async () => {
    const p = await makeProject({ config: { sandbox: { mode: "none" } } });
    await p.part("open", { steps: commitAndDone("x.txt") });
    await p.ok(["queue"]);

    const status = await p.run(["status"]);
    expect(status.stdout).toContain("SANDBOX OFF");
    expect((await p.json<{ sandbox: string }>(["status"])).sandbox).toBe("none");

    const doctor = await p.json<DoctorJson>(["doctor"]);
    const check = doctor.checks.find((c) => c.name === "sandbox");
    expect(check).toMatchObject({ ok: true, warn: true });
    expect(check?.detail).toContain("SANDBOX OFF");
    expect(check?.fix).toContain("sandbox.mode: bwrap");
    // Off means no sandbox checks: bwrap is not required then.
    expect(doctor.checks.map((c) => c.name)).not.toContain("bwrap");

    const launch = await p.ok(["launch"]);
    expect(launch.stdout).toContain("NO SANDBOX");
    await p.waitState("open", "review");
    const runDir = (await p.show("open")).runs[0]?.runDir as string;
    expect(await readFile(join(runDir, "session.log"), "utf8")).toContain("SANDBOX OFF");
    expect((await p.run(["status"])).stdout).toContain("SANDBOX OFF");
  });

  it("with the sandbox on, doctor checks bwrap, socat, namespaces and ripgrep, and status is quiet about it", async () => {
    const p = await makeSandboxProject();
    const doctor = await p.json<DoctorJson>(["doctor"]);
    for (const name of ["bwrap", "socat", "namespaces", "ripgrep"]) {
      const check = doctor.checks.find((c) => c.name === name);
      expect(check, `${name} in ${JSON.stringify(doctor.checks)}`).toBeDefined();
      expect(check?.ok, JSON.stringify(check)).toBe(true);
      expect(check?.warn ?? false).toBe(false);
    }
    expect(doctor.checks.find((c) => c.name === "sandbox")).toBeUndefined();
    expect((await p.run(["status"])).stdout).not.toContain("SANDBOX OFF");
  });
});
