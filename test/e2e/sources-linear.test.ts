/**
 * Task sources (issue 33): Linear's workflow state moves against a fake Linear GraphQL server
 * on loopback, through bin/ballador.js. The states are found by the names the config gives (any
 * case) among the issue's team's states, each move's `issueUpdate` is sent once per state, in
 * the order the task went through them; a move Linear refuses is kept and sent by the next
 * command; a name the team does not have is refused naming the states it has.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { type HttpServer, serveHttp } from "../helpers/fake-http.js";
import { cleanupProjects, commitAndDone, gate, makeProject, type Project } from "../helpers/runtime.js";

const servers: HttpServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  await cleanupProjects();
});

const STATES = [
  { id: "st-backlog", type: "backlog", name: "Backlog" },
  { id: "st-todo", type: "unstarted", name: "Todo" },
  { id: "st-doing", type: "started", name: "Doing" },
  { id: "st-review", type: "started", name: "Code Review" },
  { id: "st-shipped", type: "completed", name: "Shipped" },
  { id: "st-canceled", type: "canceled", name: "Canceled" },
];

interface FakeLinear {
  url: string;
  /** The state ids of the issueUpdate mutations Linear accepted, with the issue. */
  moves: Array<{ issue: string; state: string }>;
  /** The comments Linear accepted: their first line. */
  comments: Array<{ issue: string; body: string }>;
  /** The next n issueUpdate mutations are refused (HTTP 500, as Linear does when it is down). */
  failMoves(n: number): void;
}

/** One issue, ENG-1 (id u1), of a team with the states above. */
async function fakeLinear(): Promise<FakeLinear> {
  let failing = 0;
  const fake: FakeLinear = {
    url: "",
    moves: [],
    comments: [],
    failMoves: (n) => {
      failing = n;
    },
  };
  const server = await serveHttp((r, res) => {
    const { query, variables } = r.body as { query: string; variables: Record<string, unknown> };
    const send = (data: unknown) =>
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ data }));
    if (r.req.headers.authorization !== "lin_api_test") return res.writeHead(401).end("{}");
    if (query.includes("issueUpdate")) {
      if (failing > 0) {
        failing--;
        return res.writeHead(500).end(JSON.stringify({ errors: [{ message: "internal error" }] }));
      }
      const input = variables.input as { stateId: string };
      fake.moves.push({ issue: variables.id as string, state: input.stateId });
      return send({ issueUpdate: { success: true } });
    }
    if (query.includes("commentCreate")) {
      const input = variables.input as { issueId: string; body: string };
      fake.comments.push({ issue: input.issueId, body: input.body.split("\n")[0] ?? "" });
      return send({ commentCreate: { success: true } });
    }
    if (query.includes("states")) return send({ issue: { team: { states: { nodes: STATES } } } });
    if (query.includes("viewer")) return send({ viewer: { email: "alice@example.test" } });
    if (query.includes("issues("))
      return send({
        issues: {
          pageInfo: { hasNextPage: false, endCursor: null },
          nodes: [
            {
              id: "u1",
              identifier: "ENG-1",
              title: "Ship the parser",
              description: "Please",
              url: "https://linear.example.test/issue/ENG-1",
              state: { type: "unstarted" },
              labels: { nodes: [{ name: "ballador" }] },
              assignee: { email: "alice@example.test" },
              parent: null,
              inverseRelations: { nodes: [] },
              comments: { nodes: [] },
            },
          ],
        },
      });
    return res.writeHead(400).end(JSON.stringify({ errors: [{ message: "unexpected query" }] }));
  });
  servers.push(server);
  fake.url = `${server.url}/graphql`;
  return fake;
}

async function linearProject(
  fake: FakeLinear,
  states: Record<string, string>,
  opts: { gated?: boolean } = {},
): Promise<Project> {
  const p = await makeProject();
  const script = join(p.parent, "agent.yaml");
  // Gated: the agent works until the test ends, so only the test's commands send.
  const steps = [...(opts.gated ? [gate(p, "never")] : []), ...commitAndDone("work.txt")];
  await writeFile(script, stringify({ steps }));
  await p.write(
    ".ballador/config.yaml",
    stringify({
      base: "main",
      max_attempts: 1,
      tmux_socket: p.socket,
      agents: {
        default: "scripted",
        profiles: { scripted: { command: ["ballador-scripted-agent", "--script", script] } },
      },
      sandbox: { mode: "none" },
      sources: {
        instance: "test-a",
        trackers: { lin: { type: "linear", api_key: { env: "LINEAR_KEY" }, url: fake.url, states } },
      },
    }),
  );
  await p.git(["commit", "-qam", "a linear source"]);
  return p;
}

const env = { LINEAR_KEY: "lin_api_test" };

describe("the linear source's state moves", () => {
  it("moves the issue to the named states once each, in order, and sends a refused move with the next command", async () => {
    const fake = await fakeLinear();
    const p = await linearProject(fake, { running: "doing", review: "CODE REVIEW", merged: "Shipped" });
    expect((await p.run(["source", "sync", "lin"], { env })).code).toBe(0);
    await p.git(["add", "-A"]);
    await p.git(["commit", "-qm", "parts from Linear"]);
    expect(fake.comments).toEqual([{ issue: "u1", body: "ballador-claim:test-a" }]);

    // Linear refuses the first move: launch starts the task all the same and keeps the write.
    fake.failMoves(1);
    const launched = await p.run(["launch", "lin-eng-1"], { env });
    expect(launched.code, launched.stderr).toBe(0);
    expect(fake.moves).toEqual([]);
    await p.waitState("lin-eng-1", "review");
    // The supervisor's send found running unsent (its try failed): it sends both, in order.
    await expect
      .poll(() => fake.moves.map((m) => m.state), { timeout: 30_000, interval: 300 })
      .toEqual(["st-doing", "st-review"]);
    const merged = await p.run(["merge", "lin-eng-1", "--unverified"], { env });
    expect(merged.code, merged.stderr).toBe(0);
    for (let i = 0; i < 2; i++) expect((await p.run(["source", "sync", "lin"], { env })).code).toBe(0);
    expect(fake.moves).toEqual([
      { issue: "u1", state: "st-doing" },
      { issue: "u1", state: "st-review" },
      { issue: "u1", state: "st-shipped" },
    ]);
    expect(fake.comments.map((c) => c.body)).toEqual([
      "ballador-claim:test-a",
      "Ballador (test-a): task lin-eng-1 is ready for review.",
      "Ballador (test-a): task lin-eng-1 is merged.",
    ]);
    const writes = (await p.show("lin-eng-1")).notes.map((n) => n.text).filter((t) => t.startsWith("source"));
    expect(writes).toEqual([
      "source lin: told issue ENG-1: claimed",
      "source lin: told issue ENG-1: running",
      "source lin: told issue ENG-1: review",
      "source lin: told issue ENG-1: merged (closed)",
    ]);
  });

  it("refuses a state name the team does not have, naming the states it has, and keeps the write", async () => {
    const fake = await fakeLinear();
    const p = await linearProject(fake, { running: "In Progress" }, { gated: true });
    expect((await p.run(["source", "sync", "lin"], { env })).code).toBe(0);
    await p.git(["add", "-A"]);
    await p.git(["commit", "-qm", "parts from Linear"]);
    const launched = await p.run(["launch", "lin-eng-1", "--json"], { env });
    expect(launched.code, launched.stderr).toBe(0);
    expect(launched.stderr).toContain(
      'not told yet (retried later): lin-eng-1 running: Linear: the team of this issue has no workflow state named "In Progress" (it has: Backlog, Todo, Doing, Code Review, Shipped, Canceled); correct states.running of the source',
    );
    expect(fake.moves).toEqual([]);
    const sync = JSON.parse((await p.run(["source", "sync", "lin", "--json"], { env })).stdout) as {
      writes: { failed: Array<{ task: string; state: string }> };
    };
    expect(sync.writes.failed).toEqual([expect.objectContaining({ task: "lin-eng-1", state: "running" })]);
  });
});
