/**
 * Task sources (issue 33) beyond GitHub: the shell contract over a JSON file (argv quoted,
 * refs only on stdin, timeouts, claims of another instance), the Jira recipe of docs/ against a
 * fake Jira on loopback, and the linear source against a fake Linear GraphQL server, its API
 * key read by the host and written nowhere.
 */
import { existsSync } from "node:fs";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { PACKAGE_ROOT } from "../helpers/cli.js";
import { type HttpServer, serveHttp } from "../helpers/fake-http.js";
import { cleanupProjects, makeProject, type Project } from "../helpers/runtime.js";

const servers: HttpServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  await cleanupProjects();
});

async function withSource(source: Record<string, unknown>): Promise<Project> {
  const p = await makeProject();
  await p.write(
    ".ballador/config.yaml",
    stringify({
      base: "main",
      tmux_socket: p.socket,
      agents: { default: "scripted", profiles: { scripted: { preset: "scripted" } } },
      sandbox: { mode: "none" },
      sources: { instance: "test-a", trackers: { t: source } },
    }),
  );
  await p.git(["commit", "-qam", "source"]);
  return p;
}

/** A tracker over a JSON file: prints what the file holds, records every call (argv and stdin). */
const TRACKER = `
import { appendFileSync, readFileSync } from "node:fs";
const dir = process.env.TRACKER_DIR;
const input = readFileSync(0, "utf8");
appendFileSync(dir + "/calls.jsonl", JSON.stringify({ argv: process.argv.slice(2), input: JSON.parse(input) }) + "\\n");
const doc = JSON.parse(readFileSync(dir + "/issues.json", "utf8"));
const [cmd] = process.argv.slice(2);
if (cmd === "list") { if (doc.sleep) await new Promise((r) => setTimeout(r, doc.sleep)); process.stdout.write(JSON.stringify(doc)); }
else if (cmd === "get") { const ref = JSON.parse(input).source_ref; process.stdout.write(JSON.stringify(doc.issues.find((i) => i.source_ref === ref) ?? null)); }
`;

describe("the shell source", () => {
  it("speaks JSON over a script: refs on stdin only, argv shell-quoted, another instance's claim skipped, a slow list timed out with nothing changed", async () => {
    const p = await makeProject();
    const dir = join(p.parent, "my tracker; $(touch pwned)");
    await (await import("node:fs/promises")).mkdir(dir);
    await writeFile(join(dir, "tracker.mjs"), TRACKER);
    const hostileRef = "$(touch ../pwned) '; touch pwned2 #";
    const issues = {
      me: "alice",
      issues: [
        {
          source_ref: hostileRef,
          key: "PROJ-1",
          title: "First",
          body: "Do it",
          labels: ["Ballador"],
          assignees: ["alice"],
        },
        {
          source_ref: "r2",
          key: "PROJ-2",
          title: "Second",
          labels: ["ballador"],
          assignees: ["alice"],
          blocked_by: [hostileRef],
        },
        {
          source_ref: "r3",
          key: "PROJ-3",
          title: "Theirs",
          labels: ["ballador"],
          assignees: ["alice"],
          claimed_by: ["test-b"],
        },
      ],
    };
    await writeFile(join(dir, "issues.json"), JSON.stringify(issues));
    await p.write(
      ".ballador/config.yaml",
      stringify({
        base: "main",
        tmux_socket: p.socket,
        agents: { default: "scripted", profiles: { scripted: { preset: "scripted" } } },
        sandbox: { mode: "none" },
        sources: {
          instance: "test-a",
          trackers: {
            t: {
              type: "shell",
              command: `node '${join(dir, "tracker.mjs").replaceAll("'", "'\\''")}'`,
              timeout: { list: "3s" },
            },
          },
        },
      }),
    );
    await p.git(["commit", "-qam", "source"]);
    const env = { TRACKER_DIR: dir };
    const r = await p.run(["source", "sync", "t", "--json"], { env });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as {
      inserted: string[];
      skipped: Array<{ key: string; reason: string }>;
    };
    expect(out.inserted.sort()).toEqual(["t-proj-1", "t-proj-2"]);
    expect(out.skipped).toEqual([
      { key: "PROJ-3", title: "Theirs", reason: "claimed by another Ballador (test-b)" },
    ]);
    expect(await readFile(join(p.dir, ".ballador/parts/t/t-proj-2.md"), "utf8")).toContain(
      "needs: [t-proj-1]",
    );
    const calls = (await readFile(join(dir, "calls.jsonl"), "utf8"))
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { argv: string[]; input: Record<string, unknown> });
    expect(calls.map((c) => c.argv)).toEqual([["list"], ["mark", "claimed"], ["mark", "claimed"]]);
    expect(calls[1]?.input).toMatchObject({ source_ref: hostileRef, state: "claimed", instance: "test-a" });
    for (const f of ["pwned", "pwned2", "../pwned"]) expect(existsSync(join(p.dir, f))).toBe(false);
    expect(existsSync(join(p.parent, "pwned"))).toBe(false);

    await writeFile(join(dir, "issues.json"), JSON.stringify({ ...issues, sleep: 10_000, issues: [] }));
    const slow = await p.run(["source", "sync", "t"], { env });
    expect(slow.code).not.toBe(0);
    expect(slow.stderr).toContain("no answer within 3s");
    expect((await p.status()).tasks.map((t) => t.state)).toEqual(["ready", "queued"]);
  });
});

describe("the Jira recipe (docs/recipes/jira-source.mjs) on the shell contract", () => {
  it("imports Jira issues with their blockers (an Atlassian document as text) and claims each with a label", async () => {
    const calls: Array<{ method: string; url: string; body: unknown; auth: string | undefined }> = [];
    const issue = (key: string, summary: string, links: unknown[] = []) => ({
      key,
      fields: {
        summary,
        description: {
          type: "doc",
          content: [{ type: "paragraph", content: [{ type: "text", text: `Text of ${key}` }] }],
        },
        status: { statusCategory: { key: "new" } },
        labels: ["ballador"],
        assignee: { emailAddress: "alice@example.test", displayName: "Alice" },
        issuelinks: links,
      },
    });
    const jira = await serveHttp((r, res) => {
      calls.push({ method: r.method, url: r.url, body: r.body, auth: r.req.headers.authorization });
      const send = (body: unknown) =>
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
      if (r.path === "/rest/api/2/myself") return send({ emailAddress: "alice@example.test" });
      if (r.path === "/rest/api/2/search")
        return send({
          total: 2,
          issues: [
            issue("PROJ-1", "Schema"),
            issue("PROJ-2", "Migration", [
              {
                type: { name: "Blocks" },
                inwardIssue: { key: "PROJ-1", fields: { status: { statusCategory: { key: "new" } } } },
              },
            ]),
          ],
        });
      if (r.method === "PUT" || r.method === "POST") return res.writeHead(204).end();
      return res.writeHead(404).end();
    });
    servers.push(jira);
    const p = await withSource({
      type: "shell",
      command: `node ${join(PACKAGE_ROOT, "docs/recipes/jira-source.mjs")}`,
    });
    const env = { JIRA_URL: jira.url, JIRA_EMAIL: "alice@example.test", JIRA_API_TOKEN: "jira-token" };
    const r = await p.run(["source", "sync", "--json"], { env });
    expect(r.code, r.stderr).toBe(0);
    const part = await readFile(join(p.dir, ".ballador/parts/t/t-proj-2.md"), "utf8");
    expect(part).toContain("needs: [t-proj-1]");
    expect(part).toContain("> Text of PROJ-2");
    expect(part).toContain(`${jira.url}/browse/PROJ-2`);
    const puts = calls.filter((c) => c.method === "PUT");
    expect(puts.map((c) => [c.url, c.body])).toEqual([
      ["/rest/api/2/issue/PROJ-1", { update: { labels: [{ add: "ballador-claim:test-a" }] } }],
      ["/rest/api/2/issue/PROJ-2", { update: { labels: [{ add: "ballador-claim:test-a" }] } }],
    ]);
    expect(calls[0]?.auth).toBe(`Basic ${Buffer.from("alice@example.test:jira-token").toString("base64")}`);
  });
});

describe("the linear source", () => {
  it("reads issues through GraphQL with the key in the host's requests only, and comments a claim and a failure", async () => {
    const seen: Array<{ query: string; auth: string | undefined; variables: unknown }> = [];
    const node = (id: string, identifier: string, extra: Record<string, unknown> = {}) => ({
      id,
      identifier,
      title: `Title ${identifier}`,
      description: `Body ${identifier}`,
      url: `https://linear.example.test/issue/${identifier}`,
      state: { type: "unstarted" },
      labels: { nodes: [{ name: "Ballador" }] },
      assignee: { email: "alice@example.test", displayName: "Alice" },
      parent: null,
      inverseRelations: { nodes: [] },
      comments: { nodes: [] },
      ...extra,
    });
    const linear = await serveHttp((r, res) => {
      const body = r.body as { query: string; variables: unknown };
      seen.push({ query: body.query, auth: r.req.headers.authorization, variables: body.variables });
      const send = (data: unknown) =>
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ data }));
      if (body.query.includes("states"))
        return send({
          issue: { team: { states: { nodes: [{ id: "s1", type: "started", name: "Doing" }] } } },
        });
      if (body.query.includes("issueUpdate")) return send({ issueUpdate: { success: true } });
      if (body.query.includes("viewer")) return send({ viewer: { email: "alice@example.test" } });
      if (body.query.includes("issues("))
        return send({
          issues: {
            pageInfo: { hasNextPage: false, endCursor: null },
            nodes: [
              node("u1", "ENG-1"),
              node("u2", "ENG-2", {
                inverseRelations: {
                  nodes: [{ type: "blocks", issue: { id: "u1", state: { type: "started" } } }],
                },
              }),
              node("u3", "ENG-3", { comments: { nodes: [{ body: "ballador-claim:test-b" }] } }),
            ],
          },
        });
      if (body.query.includes("commentCreate")) return send({ commentCreate: { success: true } });
      return res.writeHead(400).end(JSON.stringify({ errors: [{ message: "unexpected" }] }));
    });
    servers.push(linear);
    const key = "lin_api_SECRET_0123456789";
    const p = await withSource({
      type: "linear",
      api_key: { env: "LINEAR_KEY" },
      url: `${linear.url}/graphql`,
    });
    const r = await p.run(["source", "sync", "t", "--json"], { env: { LINEAR_KEY: key } });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as {
      inserted: string[];
      skipped: Array<{ key: string; reason: string }>;
    };
    expect(out.inserted.sort()).toEqual(["t-eng-1", "t-eng-2"]);
    expect(out.skipped.map((s) => s.reason)).toEqual(["claimed by another Ballador (test-b)"]);
    expect(await readFile(join(p.dir, ".ballador/parts/t/t-eng-2.md"), "utf8")).toContain("needs: [t-eng-1]");
    expect(seen.every((s) => s.auth === key)).toBe(true);
    const claims = seen.filter((s) => s.query.includes("commentCreate")).map((s) => s.variables);
    expect(claims).toEqual([
      { input: { issueId: "u1", body: "ballador-claim:test-a" } },
      { input: { issueId: "u2", body: "ballador-claim:test-a" } },
    ]);
    // The key went to Linear only: nowhere in the project, its state or the parts.
    const files = (await readdir(p.dir, { recursive: true })).filter((f) => !f.startsWith(".git/"));
    for (const f of files) {
      const text = await readFile(join(p.dir, f)).catch(() => Buffer.alloc(0));
      expect(text.includes(key), f).toBe(false);
    }
    // A failed task is told to Linear as a comment with the reason, once.
    await p.git(["add", "-A"]);
    await p.git(["commit", "-qm", "parts"]);
    await p.ok(["launch", "t-eng-1"]); // the scripted agent finds no script in a quoted issue
    await p.waitState("t-eng-1", "failed");
    for (let i = 0; i < 2; i++)
      expect((await p.run(["source", "sync", "t"], { env: { LINEAR_KEY: key } })).code).toBe(0);
    const failed = seen
      .filter((s) => s.query.includes("commentCreate"))
      .map((s) => (s.variables as { input: { issueId: string; body: string } }).input)
      .filter((i) => i.body.includes("is failed"));
    expect(failed).toHaveLength(1);
    expect(failed[0]?.issueId).toBe("u1");
    const missing = await p.run(["source", "sync", "t"]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain(
      "sources.trackers.t.api_key: the secret is empty or unset (set LINEAR_KEY)",
    );
  });
});
