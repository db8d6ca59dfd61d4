/**
 * `ballador mcp` driven by the SDK's own client over stdio, against the built executable: the
 * tool list (and the tools it must not have), parts written valid and invalid, queue and next,
 * and writes aimed outside the specs and parts folders (a source file, the config, `..`, an
 * absolute path, a symlinked folder or file), which must all fail with nothing changed.
 */

import { existsSync } from "node:fs";
import { mkdir, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { afterEach, describe, expect, it } from "vitest";
import { BIN, cleanupTempDirs, makeGitRepo, type TestRepo } from "../helpers/cli.js";
import { snapshotTree } from "../helpers/tree.js";

afterEach(cleanupTempDirs);

const clients: Client[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

async function connect(repo: TestRepo): Promise<Client> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [BIN, "mcp"],
    cwd: repo.dir,
    env: repo.env as Record<string, string>,
    stderr: "pipe",
  });
  const client = new Client({ name: "ballador-test", version: "0" });
  await client.connect(transport);
  clients.push(client);
  return client;
}

type Result = { isError?: boolean; content: Array<{ type: string; text?: string }> };

async function callTool(client: Client, name: string, args: Record<string, unknown> = {}) {
  const r = (await client.callTool({ name, arguments: args })) as Result;
  const text = r.content.map((c) => c.text ?? "").join("\n");
  return { isError: r.isError === true, text };
}

function partText(fields: { id: string; needs?: string[]; scope?: string[]; extra?: string }): string {
  return [
    "---",
    `id: ${fields.id}`,
    `title: "Part ${fields.id}"`,
    "spec: specs/0001-greeter.md",
    `needs: [${(fields.needs ?? []).join(", ")}]`,
    `scope: [${(fields.scope ?? []).map((s) => JSON.stringify(s)).join(", ")}]`,
    ...(fields.extra ? [fields.extra] : []),
    "---",
    `Do ${fields.id}.`,
    "",
  ].join("\n");
}

async function project(): Promise<TestRepo> {
  const repo = await makeGitRepo({ files: { "src/index.ts": "export const x = 1;\n" } });
  expect((await repo.run(["init"])).code).toBe(0);
  expect((await repo.run(["spec", "new", "Greeter"])).code).toBe(0);
  return repo;
}

describe("ballador mcp (the SDK client over stdio)", () => {
  it("lists the chamber's tools and none that launches, stops, merges or reports done", async () => {
    const repo = await project();
    const client = await connect(repo);
    const { tools } = await client.listTools();
    const names = tools.map((t) => t.name).sort();
    expect(names).toEqual(
      [
        "brief",
        "graph",
        "list_parts",
        "list_specs",
        "new_spec",
        "next",
        "queue",
        "read_part",
        "read_spec",
        "sandbox_denials",
        "show",
        "spec_check",
        "status",
        "write_part",
        "write_spec",
      ].sort(),
    );
    const forbidden =
      /launch|stop|resume|retry|merge|pr|pull|cleanup|done|abandon|approve|attach|kill|exec|run|shell/;
    for (const n of names) for (const word of n.split("_")) expect(word).not.toMatch(forbidden);
    // Inputs are described to the client (JSON Schema from the zod schemas).
    const writePart = tools.find((t) => t.name === "write_part");
    expect(writePart?.inputSchema.required).toEqual(expect.arrayContaining(["path", "content"]));
  });

  it("writes a valid part, refuses an invalid one naming the field, queues, and reads next", async () => {
    const repo = await project();
    const client = await connect(repo);
    const specs = await callTool(client, "list_specs");
    expect(JSON.parse(specs.text)[0]).toMatchObject({ name: "0001-greeter", parts: 0 });
    const spec = await callTool(client, "read_spec", { spec: "1" });
    expect(spec.text).toContain("## Decision");

    const a = await callTool(client, "write_part", {
      path: "0001-greeter/core.md",
      content: partText({ id: "core", scope: ["src/core/**"] }),
    });
    expect(a.isError, a.text).toBe(false);
    expect(JSON.parse(a.text)).toMatchObject({ id: "core", created: true, queueProblems: [] });
    expect(existsSync(join(repo.dir, ".ballador/parts/0001-greeter/core.md"))).toBe(true);

    // An unknown key and a bad id: refused with the field named, nothing written.
    const bad = await callTool(client, "write_part", {
      path: "0001-greeter/Bad_Part.md",
      content: partText({ id: "Bad_Part", extra: "colour: blue" }),
    });
    expect(bad.isError).toBe(true);
    expect(bad.text).toContain("nothing was written");
    expect(bad.text).toMatch(/id: use 1-64 characters/);
    expect(bad.text).toMatch(/colour: unknown key "colour"/);
    expect(existsSync(join(repo.dir, ".ballador/parts/0001-greeter/Bad_Part.md"))).toBe(false);

    // An input that fails the tool's own schema is a tool error that names the field.
    const wrongType = await callTool(client, "write_part", { path: "0001-greeter/x.md", content: 42 });
    expect(wrongType.isError).toBe(true);
    expect(wrongType.text).toContain("content");

    // A dependency not written yet is allowed on write and reported as the queue would.
    const b = await callTool(client, "write_part", {
      path: "0001-greeter/cli.md",
      content: partText({ id: "cli", needs: ["core", "later"], scope: ["src/cli/**"] }),
    });
    expect(b.isError, b.text).toBe(false);
    expect(JSON.parse(b.text).queueProblems.join("\n")).toContain('needs "later"');
    const refused = await callTool(client, "queue", {});
    expect(refused.isError).toBe(true);
    expect(refused.text).toContain("nothing was queued");
    const fixed = await callTool(client, "write_part", {
      path: "0001-greeter/cli.md",
      content: partText({ id: "cli", needs: ["core"], scope: ["src/cli/**"] }),
    });
    expect(JSON.parse(fixed.text)).toMatchObject({ created: false, queueProblems: [] });

    const dry = await callTool(client, "queue", { dry_run: true });
    expect(JSON.parse(dry.text)).toMatchObject({ dryRun: true, inserted: ["cli", "core"] });
    expect((await repo.json<{ tasks: unknown[] }>(["status"])).tasks).toEqual([]);
    const queued = await callTool(client, "queue", {});
    expect(JSON.parse(queued.text)).toMatchObject({ dryRun: false, inserted: ["cli", "core"] });

    const next = JSON.parse((await callTool(client, "next")).text);
    expect(next.ready.map((t: { id: string }) => t.id)).toEqual(["core"]);
    expect(next.waiting).toEqual([{ id: "cli", title: "Part cli", on: [{ id: "core", state: "ready" }] }]);
    expect((await callTool(client, "graph", { format: "mermaid" })).text).toContain("t_core --> t_cli");
    expect(JSON.parse((await callTool(client, "show", { task: "cli" })).text).task.needs).toEqual(["core"]);
    const badTask = await callTool(client, "show", { task: "../etc" });
    expect(badTask.isError).toBe(true);
    expect(badTask.text).toContain("task");
    // The store agrees with what the CLI sees.
    const status = await repo.json<{ tasks: Array<{ id: string; state: string }> }>(["status"]);
    expect(status.tasks.map((t) => [t.id, t.state]).sort()).toEqual([
      ["cli", "queued"],
      ["core", "ready"],
    ]);
  });

  it("creates and writes specs, with what spec check says about them", async () => {
    const repo = await project();
    const client = await connect(repo);
    const created = await callTool(client, "new_spec", { title: "Rate limits" });
    expect(JSON.parse(created.text)).toMatchObject({ path: "specs/0002-rate-limits.md", number: 2 });
    const text = (await callTool(client, "read_spec", { spec: "0002-rate-limits" })).text;
    const full = JSON.parse(text).text as string;
    const ok = await callTool(client, "write_spec", {
      path: "0002-rate-limits.md",
      content: full.replace("## Decision\n", "## Decision\nA token bucket per client.\n"),
    });
    expect(JSON.parse(ok.text)).toMatchObject({
      path: "specs/0002-rate-limits.md",
      created: false,
      problems: [],
    });
    const partial = await callTool(client, "write_spec", {
      path: "0003-half.md",
      content: "---\nstatus: draft\n---\n# Half\n\n## Context\nonly this\n",
    });
    const problems = JSON.parse(partial.text).problems.map((x: { problem: string }) => x.problem);
    expect(problems).toContain('missing section "## Decision"');
    const check = JSON.parse((await callTool(client, "spec_check")).text).problems;
    expect(check.map((x: { file: string }) => x.file)).toContain("specs/0003-half.md");
  });

  it("refuses every write outside the specs and parts folders, and nothing changes", async () => {
    const repo = await project();
    await mkdir(join(repo.dir, ".ballador/parts/0001-greeter"), { recursive: true });
    // Links an agent might plant: a folder under parts pointing at src/, a spec file at the config.
    await symlink(join(repo.dir, "src"), join(repo.dir, ".ballador/parts/linked"));
    await symlink(join(repo.dir, ".ballador/config.yaml"), join(repo.dir, "specs/0002-evil.md"));
    const client = await connect(repo);
    const before = await snapshotTree(repo.dir);
    const attempts: Array<[string, Record<string, unknown>, RegExp]> = [
      ["write_part", { path: "../../src/index.md", content: partText({ id: "index" }) }, /climbs out/],
      [
        "write_part",
        { path: join(repo.dir, "src/index.md"), content: partText({ id: "index" }) },
        /absolute/,
      ],
      ["write_part", { path: "linked/index.md", content: partText({ id: "index" }) }, /symbolic link/],
      ["write_part", { path: ".hidden/x.md", content: partText({ id: "x" }) }, /not a plain name/],
      ["write_part", { path: "0001-greeter/a/b.md", content: partText({ id: "b" }) }, /levels deep/],
      [
        "write_spec",
        { path: "../.ballador/config.yaml", content: "sandbox: {mode: none}\n" },
        /spec file name/,
      ],
      ["write_spec", { path: "../src/index.ts", content: "hacked\n" }, /spec file name/],
      ["write_spec", { path: "0002-evil.md", content: "sandbox: {mode: none}\n" }, /symbolic link/],
      ["write_spec", { path: "/etc/0003-x.md", content: "x\n" }, /spec file name|absolute/],
      ["read_part", { path: "linked/index.ts" }, /symbolic link/],
      ["queue", { paths: ["../../src"] }, /climbs out/],
    ];
    for (const [tool, args, message] of attempts) {
      const r = await callTool(client, tool, args);
      expect(r.isError, `${tool} ${JSON.stringify(args)}: ${r.text}`).toBe(true);
      expect(r.text).toMatch(message);
    }
    expect(await snapshotTree(repo.dir)).toEqual(before);
  });
  it("refuses a part carrying verify: from write_part and from the queue tool; a person's queue takes it", async () => {
    const repo = await project();
    const client = await connect(repo);
    // Through write_part: refused with the field named, nothing written.
    const off = await callTool(client, "write_part", {
      path: "0001-greeter/lazy.md",
      content: partText({ id: "lazy", extra: 'verify: "true"' }),
    });
    expect(off.isError).toBe(true);
    expect(off.text).toContain("nothing was written");
    expect(off.text).toMatch(/verify: a part written by the conductor cannot set its own verify command/);
    expect(existsSync(join(repo.dir, ".ballador/parts/0001-greeter/lazy.md"))).toBe(false);

    // The same part written as a file by another route: the queue tool refuses it, nothing queued.
    await mkdir(join(repo.dir, ".ballador/parts/0001-greeter"), { recursive: true });
    await writeFile(
      join(repo.dir, ".ballador/parts/0001-greeter/lazy.md"),
      partText({ id: "lazy", extra: 'verify: "true"' }),
    );
    await writeFile(join(repo.dir, ".ballador/parts/0001-greeter/fine.md"), partText({ id: "fine" }));
    for (const args of [{}, { paths: ["0001-greeter/lazy.md"] }, { dry_run: true }]) {
      const q = await callTool(client, "queue", args);
      expect(q.isError, JSON.stringify(args)).toBe(true);
      expect(q.text).toContain("nothing was queued");
      expect(q.text).toContain(".ballador/parts/0001-greeter/lazy.md: verify:");
    }
    expect((await repo.json<{ tasks: unknown[] }>(["status"])).tasks).toEqual([]);

    // A person's ballador queue takes it; the conductor's queue then passes over it unchanged.
    const person = await repo.run(["queue"]);
    expect(person.code, person.stderr).toBe(0);
    expect(person.stdout).toContain('part verify "true" instead of the project');
    const again = await callTool(client, "queue", {});
    expect(again.isError, again.text).toBe(false);
  });
});
