/**
 * runtime.node: the person points the supervisors at another node program (e.g. a Node 22
 * beside Node 20). Proved with the same node behind a wrapper at another path that records
 * each start: the supervisor must have run through it. A repository's file may not name it,
 * a path that is not a program is a config error, and a program that is not Node 20+ makes
 * launch refuse before anything starts.
 */
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { parseJson } from "../helpers/cli.js";
import { cleanupProjects, commitAndDone, makeProject, type Project } from "../helpers/runtime.js";

afterEach(cleanupProjects);

/** A program at `<parent>/other-node/bin/node` that logs its arguments, then runs `body`. */
async function wrapper(p: Project, body: string): Promise<{ path: string; log: string }> {
  const dir = join(p.parent, "other-node", "bin");
  await mkdir(dir, { recursive: true });
  const path = join(dir, "node");
  const log = join(p.parent, "other-node", "started.log");
  await writeFile(path, `#!/bin/sh\nprintf '%s\\n' "$*" >> '${log}'\n${body}\n`);
  await chmod(path, 0o755);
  return { path, log };
}

/** The person's own config file (XDG_CONFIG_HOME of the test), with runtime.node. */
async function personConfig(p: Project, node: string): Promise<string> {
  const file = join(p.env.XDG_CONFIG_HOME as string, "ballador", "config.yaml");
  await mkdir(join(p.env.XDG_CONFIG_HOME as string, "ballador"), { recursive: true });
  await writeFile(file, stringify({ runtime: { node } }));
  return file;
}

describe("runtime.node", () => {
  it("runs each supervisor under the configured node, and doctor names it", async () => {
    const p = await makeProject();
    const node = await wrapper(p, `exec '${process.execPath}' "$@"`);
    await personConfig(p, node.path);
    await p.part("a", { steps: commitAndDone("a.txt") });
    await p.ok(["queue"]);
    await p.ok(["launch"]);
    await p.reaches("a", "review");
    const started = await readFile(node.log, "utf8");
    // Once for the probe (version, addon ABI, the store's addon loaded), once per supervisor (its bundle's entry and the run folder).
    expect(started).toMatch(/^-e /m);
    expect(started).toMatch(/better_sqlite3\.node$/m);
    expect(started).toMatch(/supervisor(-main)?\.js \S+\/runs\/\S+$/m);
    const doctor = parseJson<{ checks: Array<{ name: string; ok: boolean; detail: string }> }>(
      await p.run(["doctor", "--json"]),
    );
    const line = doctor.checks.find((c) => c.name === "supervisor node");
    expect(line?.ok).toBe(true);
    expect(line?.detail).toContain(node.path);
    expect(line?.detail).toContain(process.versions.node);
  });

  it("without it, doctor names the Node that runs ballador", async () => {
    const p = await makeProject();
    const doctor = parseJson<{ checks: Array<{ name: string; ok: boolean; detail: string }> }>(
      await p.run(["doctor", "--json"]),
    );
    const line = doctor.checks.find((c) => c.name === "supervisor node");
    expect(line?.detail).toContain(`Node.js ${process.versions.node} (${process.execPath})`);
    expect(line?.detail).toContain("runtime.node not set");
  });

  it("refuses a launch whose runtime.node is older than Node 20, before anything starts", async () => {
    const p = await makeProject();
    // It answers the probe as a Node 18 would (its version, its addon ABI, the addon refused).
    const node = await wrapper(p, `echo '["18.19.1","108",false]'`);
    const file = await personConfig(p, node.path);
    await p.part("a", { steps: commitAndDone("a.txt") });
    await p.ok(["queue"]);
    const r = await p.run(["launch"]);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(`${file}: runtime.node: ${node.path} is Node.js 18.19.1, older than 20`);
    expect(r.stderr).toContain("point runtime.node at one, or remove runtime.node");
    expect((await p.task("a")).state).toBe("ready");
    expect(await p.sessions()).toEqual([]);
    const doctor = await p.run(["doctor"]);
    expect(doctor.code).toBe(1);
    expect(doctor.stdout + doctor.stderr).toContain("Node.js 18.19.1");
  });

  it("refuses a Node whose addon ABI cannot load the task store's native module", async () => {
    const p = await makeProject();
    // What Node 22 answers here beside Node 20: better-sqlite3 is built for Node 20's ABI.
    const node = await wrapper(p, `echo '["22.23.5","127",false]'`);
    const file = await personConfig(p, node.path);
    await p.part("a", { steps: commitAndDone("a.txt") });
    await p.ok(["queue"]);
    const r = await p.run(["launch"]);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(`${file}: runtime.node: ${node.path} is Node.js 22.23.5 (addon ABI 127)`);
    expect(r.stderr).toContain(`point runtime.node at a Node of ABI ${process.versions.modules}`);
    expect((await p.task("a")).state).toBe("ready");
  });

  it("is a config error naming file, key and fix: a missing program, a relative path, the repository's file", async () => {
    const p = await makeProject();
    const file = await personConfig(p, join(p.parent, "no-such-node"));
    let r = await p.run(["status"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `${file}: runtime.node: cannot run ${join(p.parent, "no-such-node")} (ENOENT)`,
    );
    expect(r.stderr).toContain("name an installed node program (Node.js 20 or newer)");

    await personConfig(p, "bin/node");
    r = await p.run(["status"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${file}: runtime.node: "bin/node" is not an absolute path`);

    // An agent's merged branch could name a program of its own: never from the repository.
    const node = await wrapper(p, `exec '${process.execPath}' "$@"`);
    await writeFile(join(p.env.XDG_CONFIG_HOME as string, "ballador", "config.yaml"), "{}\n");
    const repoConfig = join(p.dir, ".ballador", "config.yaml");
    await writeFile(repoConfig, `${await readFile(repoConfig, "utf8")}runtime:\n  node: ${node.path}\n`);
    r = await p.run(["status"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `${repoConfig}: runtime.node: names a program Ballador runs outside the sandbox`,
    );
    expect(r.stderr).toContain("move runtime.node to");
  });
});
