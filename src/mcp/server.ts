/**
 * `ballador mcp`: the chamber's tools for an orchestrator agent, over MCP (stdio). A thin face
 * on the use cases, like the CLI. It reads specs and the queue, writes specs and parts (only
 * inside their folders, validated on write) and queues. It has no tool that launches, stops,
 * resumes, retries, merges, opens a PR, cleans up or reports done: an orchestrator connected
 * here can prepare the performance but never give the downbeat, whatever its prompt says.
 *
 * stdout is the protocol: nothing else may print there.
 */
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { z } from "zod";
import { TASK_ID_PATTERN } from "../core/ids.js";
import type { Project } from "../project/index.js";
import { VERSION } from "../version.js";

const TaskId = z
  .string()
  .regex(TASK_ID_PATTERN, { message: "a task id: a-z, 0-9 and -, 1 to 64 characters" });
const RelPath = z.string().min(1).max(400);

/** The tools, by name; the test asserts this list and that nothing in it acts on a run. */
export const CHAMBER_TOOLS = [
  "list_specs",
  "read_spec",
  "new_spec",
  "write_spec",
  "spec_check",
  "list_parts",
  "read_part",
  "write_part",
  "queue",
  "status",
  "next",
  "graph",
  "show",
  "brief",
  "sandbox_denials",
] as const;

type ToolResult = { content: Array<{ type: "text"; text: string }>; isError?: boolean };

function ok(value: unknown): ToolResult {
  return {
    content: [{ type: "text", text: typeof value === "string" ? value : JSON.stringify(value, null, 2) }],
  };
}

/** Opens the project for one call; a UserError becomes a tool error with its details. */
async function call(cwd: string, fn: (p: Project) => unknown): Promise<ToolResult> {
  const { openProject, UserError } = await import("../project/index.js");
  let project: Project | null = null;
  try {
    project = await openProject(cwd);
    return ok(await fn(project));
  } catch (err) {
    if (err instanceof UserError) {
      return { isError: true, content: [{ type: "text", text: [err.message, ...err.details].join("\n") }] };
    }
    return {
      isError: true,
      content: [{ type: "text", text: `internal error: ${(err as Error).message}` }],
    };
  } finally {
    project?.close();
  }
}

/** One tool call on the opened project. */
type Call = (fn: (p: Project) => unknown) => Promise<ToolResult>;

const chamber = () => import("../plan/index.js");
const observe = () => import("../observe/index.js");

export function createChamberServer(cwd: string): McpServer {
  const server = new McpServer(
    { name: "ballador", version: VERSION },
    {
      instructions:
        "Ballador's conductor chamber: read specs, write specs and parts, queue them, read the queue. " +
        "You prepare the work; the person launches, reviews and merges. Paths are relative to the specs " +
        "folder (specs) or the parts folder (parts).",
    },
  );
  const run: Call = (fn) => call(cwd, fn);
  registerSpecTools(server, run);
  registerPartTools(server, run);
  registerQueueViews(server, run);
  return server;
}

/** The specs: list, read, create, write and check them. */
function registerSpecTools(server: McpServer, call: Call): void {
  server.registerTool(
    "list_specs",
    { description: "The living specs: number, name, title, status, path, how many parts each has." },
    () => call(async (p) => (await chamber()).listSpecSummaries(p)),
  );
  server.registerTool(
    "read_spec",
    {
      description: "One spec's text, by name (0003-data-extraction), number (3) or path.",
      inputSchema: { spec: z.string().min(1).max(200) },
    },
    ({ spec }) => call(async (p) => (await chamber()).readSpecText(p, spec)),
  );
  server.registerTool(
    "new_spec",
    {
      description:
        "Create a numbered spec from the template (context, problem, options, decision, tried and did not work, access patterns, consequences, history); then fill it with write_spec.",
      inputSchema: { title: z.string().trim().min(1).max(200) },
    },
    ({ title }) => call(async (p) => (await chamber()).newSpec(p, title)),
  );
  server.registerTool(
    "write_spec",
    {
      description:
        "Write a spec file NNNN-slug.md directly in the specs folder (create or replace). Returns what spec check says about it.",
      inputSchema: { path: RelPath, content: z.string() },
    },
    ({ path, content }) => call(async (p) => (await chamber()).writeSpecFile(p, path, content)),
  );
  server.registerTool(
    "spec_check",
    {
      description: "Every spec's missing sections and status, parts linking to missing specs, stale History.",
    },
    () => call(async (p) => ({ problems: (await chamber()).checkSpecs(p) })),
  );
}

/** The parts: list, read and write them, and queue them (validated, all or nothing). */
function registerPartTools(server: McpServer, call: Call): void {
  server.registerTool(
    "list_parts",
    {
      description:
        "The part files (of one spec, or all), with id, needs, scope and the task's state if queued.",
      inputSchema: { spec: z.string().min(1).max(200).optional() },
    },
    ({ spec }) => call(async (p) => (await chamber()).listPartFiles(p, spec)),
  );
  server.registerTool(
    "read_part",
    {
      description: "One part file's text; path relative to the parts folder (<spec-name>/<id>.md).",
      inputSchema: { path: RelPath },
    },
    ({ path }) => call(async (p) => (await chamber()).readPartText(p, path)),
  );
  server.registerTool(
    "write_part",
    {
      description:
        "Write a part file <spec-name>/<id>.md under the parts folder: markdown with front matter (id, title, spec, needs, agent, role, scope, pipeline, priority). Validated on write with the queue's schema; refused with the field named when invalid. A part may not carry verify: the project's verify command judges it, and only a person sets another. Returns what queue --dry-run says about all parts.",
      inputSchema: { path: RelPath, content: z.string() },
    },
    ({ path, content }) => call(async (p) => (await chamber()).writePartFile(p, path, content)),
  );
  server.registerTool(
    "queue",
    {
      description:
        "Validate parts and load them into the task store, all or nothing (dry_run: validate only). Paths relative to the parts folder; default all. A new or changed part carrying verify is refused (a person queues it with ballador queue).",
      inputSchema: { dry_run: z.boolean().default(false), paths: z.array(RelPath).max(1000).default([]) },
    },
    ({ dry_run, paths }) =>
      call(async (p) => (await chamber()).chamberQueue(p, paths, { dryRun: dry_run, actor: "mcp" })),
  );
}

/** What the queue holds, read only: status, next, graph, a task, its brief, its denials. */
function registerQueueViews(server: McpServer, call: Call): void {
  server.registerTool(
    "status",
    { description: "The task table: id, title, state, agent, attempt, branch." },
    () => call(async (p) => (await observe()).statusReport(p)),
  );
  server.registerTool(
    "next",
    { description: "What can start now, what waits on what, what awaits review, what is stuck, conflicts." },
    () => call(async (p) => (await observe()).nextWithConflicts(p)),
  );
  server.registerTool(
    "graph",
    {
      description: "The dependency graph as a terminal tree, Mermaid or DOT.",
      inputSchema: { format: z.enum(["tree", "mermaid", "dot"]).default("tree") },
    },
    ({ format }) => call(async (p) => (await observe()).graph(p, format)),
  );
  server.registerTool(
    "show",
    { description: "One task: its part, state history, runs and notes.", inputSchema: { task: TaskId } },
    ({ task }) => call(async (p) => (await observe()).show(p, task)),
  );
  server.registerTool(
    "brief",
    {
      description:
        "A task's review brief (markdown): the part, the spec, verification, diff stat, scope, denials, conflicts; the agent's notes are its claims.",
      inputSchema: { task: TaskId },
    },
    ({ task }) =>
      call(async (p) => (await (await import("../verify/index.js")).buildBrief(p, task)).markdown),
  );
  server.registerTool(
    "sandbox_denials",
    {
      description:
        "Network requests the sandbox refused, per run, with the config lines that would allow them.",
      inputSchema: { task: TaskId.optional() },
    },
    ({ task }) => call(async (p) => (await observe()).denialReport(p, task)),
  );
}

export async function serveStdio(cwd: string): Promise<void> {
  const server = createChamberServer(cwd);
  await server.connect(new StdioServerTransport());
  // Serve until the client closes stdin.
  await new Promise<void>((resolve) => {
    process.stdin.on("end", resolve);
    process.stdin.on("close", resolve);
  });
  await server.close();
}
