/**
 * Helpers for the runtime tests: a project set up for scripted agents on its own tmux socket,
 * part files carrying the agent's script, gates a test opens to let an agent go on, and
 * polling of `status --json` with a deadline.
 *
 *   const p = await makeProject({ config: { max_parallel: 2 } });
 *   await p.part("a", { steps: [gate(p, "a"), ...commitAndDone("a.txt")] });
 *   await p.ok(["queue"]);
 *   await p.ok(["launch"]);
 *   await p.waitState("a", "running");
 *   await p.open("a");                       // the agent goes on
 *   await p.waitState("a", "review");
 *   afterEach(cleanupProjects);
 *
 * Hygiene: HOME and XDG_CONFIG_HOME point into the test's temporary folder (so nothing a test
 * does, or a bug makes it do, can reach the real home), and every project's tmux server is
 * killed after the test. cleanupProjects ends every project made so far: tests using these
 * helpers in one file must not run concurrently.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { stringify } from "yaml";
import { BIN, type CliResult, cleanupTempDirs, makeGitRepo, runProgram, type TestRepo } from "./cli.js";

export interface TaskStatus {
  id: string;
  title: string;
  state: string;
  reason: string | null;
  agent: string;
  attempt: number;
  branch: string | null;
  /** While its session provisions itself: the step. */
  phase?: string | null;
  /** While its agent waits on a person: since when, what it asked, when it was last nudged. */
  needsYou?: NeedsYou | null;
}

export interface NeedsYou {
  since: string;
  asked: string;
  nudgedAt: string | null;
}

export interface StatusJson {
  tasks: TaskStatus[];
  counts: Record<string, number>;
  disagreements: string[];
}

export interface RunJson {
  id: string;
  taskId: string;
  attempt: number;
  profile: string;
  status: string;
  worktree: string;
  branch: string;
  base: string;
  session: string;
  runDir: string;
  supervisorPid: number | null;
  agentPid: number | null;
  outcome: string | null;
  detail: string | null;
  phase: string | null;
  startedAt: string;
  agentStartedAt: string | null;
}

export interface ShowJson {
  task: TaskStatus & { body: string };
  events: Array<{ from: string | null; to: string; cause: string; detail: string | null }>;
  runs: RunJson[];
  notes: Array<{ kind: string; text: string; runId: string | null }>;
}

/** One step of a scripted agent's script (see src/scripted-agent/script.ts). */
export type Step = Record<string, unknown>;

export interface PartOptions {
  title?: string;
  needs?: string[];
  priority?: number;
  verify?: string;
  agent?: string;
  /** The agent's script; omitted: the part has no script block. */
  steps?: Step[];
  /** Text before the script block. */
  body?: string;
  /** File name (without .md) when the id is not a safe one. */
  file?: string;
  /** The front matter's id value as written (default: the id). */
  rawId?: string;
}

export interface Project extends TestRepo {
  socket: string;
  home: string;
  gates: string;
  /** <parent>/repo.ballador: where task worktrees go by default. */
  worktreeRoot: string;
  worktree(id: string): string;
  /** Writes .ballador/parts/<id>.md. */
  part(id: string, opts?: PartOptions): Promise<string>;
  /** Runs ballador and fails the test (with its output) unless it exits 0. */
  ok(args: readonly string[]): Promise<CliResult>;
  /** `status --json`; output that is not a task list (an error, a crash) fails with what it printed. */
  status(): Promise<StatusJson>;
  task(id: string): Promise<TaskStatus>;
  show(id: string): Promise<ShowJson>;
  /** Polls `status --json` until the task is in one of the states. */
  waitState(id: string, states: string | string[], ms?: number): Promise<TaskStatus>;
  /**
   * Waits until the task settles (review, failed or blocked) and fails, with its reason and the
   * end of its session log, unless it settled in `want`.
   */
  reaches(id: string, want: "review" | "failed" | "blocked"): Promise<TaskStatus>;
  /** Creates the gate file: agents waiting on it go on. */
  open(gate: string): Promise<void>;
  /** Names of the sessions on the project's tmux socket (empty when no server runs). */
  sessions(): Promise<string[]>;
  /** Starts ballador in the background (the caller waits or kills it); `env` is added to the project's. */
  spawn(args: readonly string[], env?: NodeJS.ProcessEnv): Background;
  branches(): Promise<string[]>;
  worktrees(): Promise<string[]>;
}

export interface Background {
  child: ChildProcess;
  output(): string;
  /** What it printed on stdout alone (progress goes to stderr). */
  stdout(): string;
  exited: Promise<number>;
}

const projects: Project[] = [];
const children: ChildProcess[] = [];

/** Kills every project's tmux server and leftover background process, then removes the temp folders. */
export async function cleanupProjects(): Promise<void> {
  for (const c of children.splice(0)) {
    if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  }
  const done = projects.splice(0);
  await Promise.all(
    done.map((p) => runProgram("tmux", ["-L", p.socket, "kill-server"], { cwd: p.parent, env: p.env })),
  );
  // tmux leaves its socket file behind when a server ends; these sockets are the tests' own.
  const socketDir = join(process.env.TMUX_TMPDIR || "/tmp", `tmux-${process.getuid?.() ?? 0}`);
  await Promise.all(done.map((p) => rm(join(socketDir, p.socket), { force: true })));
  await cleanupTempDirs();
}

let counter = 0;

/**
 * A git repository set up for Ballador: .ballador/config.yaml with scripted agents, sandbox
 * none, max_attempts 1 and a socket of its own (`config` is merged over that), committed on
 * main with `files`.
 */
export async function makeProject(
  opts: { config?: Record<string, unknown>; files?: Record<string, string> } = {},
): Promise<Project> {
  const repo = await makeGitRepo({
    files: { ".ballador/.gitignore": "state/\n", ...opts.files },
  });
  const home = join(repo.parent, "home");
  const gates = join(repo.parent, "gates");
  await mkdir(home);
  await mkdir(gates);
  // HOME inside the temp folder: whatever a test (or a bug) runs against "~" stays in here.
  repo.env.HOME = home;
  counter += 1;
  const socket = `blt-${process.pid}-${counter}-${randomBytes(3).toString("hex")}`;
  const config = {
    base: "main",
    max_parallel: 5,
    // One attempt per launch: a failure is final until the test retries, so outcomes are exact.
    max_attempts: 1,
    tmux_socket: socket,
    agents: { default: "scripted", profiles: { scripted: { preset: "scripted" } } },
    sandbox: { mode: "none" },
    ...opts.config,
  };
  await repo.write(".ballador/config.yaml", stringify(config));
  await repo.git(["add", "-A"]);
  await repo.git(["commit", "-q", "-m", "ballador config"]);
  const worktreeRoot = join(repo.parent, "repo.ballador");

  const p: Project = {
    ...repo,
    socket,
    home,
    gates,
    worktreeRoot,
    worktree: (id) => join(worktreeRoot, id),
    part: (id, o = {}) => {
      const front: Record<string, unknown> = { id: o.rawId ?? id, title: o.title ?? `Part ${id}` };
      if (o.needs) front.needs = o.needs;
      if (o.priority !== undefined) front.priority = o.priority;
      if (o.verify !== undefined) front.verify = o.verify;
      if (o.agent !== undefined) front.agent = o.agent;
      const script = o.steps
        ? `\n\`\`\`ballador-script\n${JSON.stringify({ steps: o.steps })}\n\`\`\`\n`
        : "";
      const text = `---\n${stringify(front)}---\n${o.body ?? `Do part ${id}.`}\n${script}`;
      return repo.write(`.ballador/parts/${o.file ?? id}.md`, text);
    },
    ok: async (args) => {
      const r = await repo.run(args);
      if (r.code !== 0) {
        throw new Error(
          `ballador ${args.join(" ")} exited ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`,
        );
      }
      return r;
    },
    status: async () => {
      const r = await repo.run(["status", "--json"]);
      let json: StatusJson | undefined;
      try {
        json = JSON.parse(r.stdout) as StatusJson;
      } catch {
        // reported below
      }
      if (!json || !Array.isArray(json.tasks)) {
        throw new Error(`status --json gave no task list (exit ${r.code})\n${r.stdout}\n${r.stderr}`);
      }
      return json;
    },
    task: async (id) => {
      const t = (await p.status()).tasks.find((x) => x.id === id);
      if (!t) throw new Error(`no task ${id} in status`);
      return t;
    },
    show: async (id) => {
      const r = await repo.run(["show", id, "--json"]);
      try {
        return JSON.parse(r.stdout) as ShowJson;
      } catch {
        throw new Error(`show --json gave no JSON (exit ${r.code})\n${r.stdout}\n${r.stderr}`);
      }
    },
    waitState: async (id, states, ms = 30_000) => {
      const want = typeof states === "string" ? [states] : states;
      let last: StatusJson | undefined;
      try {
        return await waitFor(
          async () => {
            last = await p.status();
            const t = last.tasks.find((x) => x.id === id);
            return t && want.includes(t.state) ? t : undefined;
          },
          `${id} to be ${want.join(" or ")}`,
          ms,
        );
      } catch (err) {
        // Say what is known: the task, what status saw wrong, and the end of the session log.
        const run = (await p.show(id).catch(() => undefined))?.runs.at(-1);
        const log = run ? await readFile(join(run.runDir, "session.log"), "utf8").catch(() => "") : "";
        throw new Error(
          `${(err as Error).message}\nlast: ${JSON.stringify(last?.tasks.find((x) => x.id === id))}\n` +
            `disagreements: ${JSON.stringify(last?.disagreements)}\nsession.log (end):\n${log.split("\n").slice(-25).join("\n")}`,
        );
      }
    },
    reaches: async (id, want) => {
      const t = await p.waitState(id, ["review", "failed", "blocked"]);
      if (t.state !== want) {
        const run = (await p.show(id)).runs.at(-1);
        const log = run ? await readFile(join(run.runDir, "session.log"), "utf8").catch(() => "") : "";
        throw new Error(
          `${id} is ${t.state} (${t.reason ?? "no reason"}), expected ${want}\nsession.log (end):\n${log.split("\n").slice(-25).join("\n")}`,
        );
      }
      return t;
    },
    open: (gate) => writeFile(join(gates, gate), "open\n"),
    sessions: async () => {
      const r = await runProgram("tmux", ["-L", socket, "list-sessions", "-F", "#{session_name}"], {
        cwd: repo.parent,
        env: repo.env,
      });
      return r.code === 0 ? r.stdout.split("\n").filter(Boolean).sort() : [];
    },
    spawn: (args, env = {}) => {
      const child = spawn(process.execPath, [BIN, ...args], {
        cwd: repo.dir,
        env: { ...repo.env, ...env },
        stdio: ["ignore", "pipe", "pipe"],
      });
      children.push(child);
      let out = "";
      let so = "";
      child.stdout?.setEncoding("utf8").on("data", (d: string) => {
        out += d;
        so += d;
      });
      child.stderr?.setEncoding("utf8").on("data", (d: string) => {
        out += d;
      });
      const exited = new Promise<number>((resolve) => {
        child.on("close", (code, signal) => resolve(code ?? (signal === "SIGKILL" ? 137 : 128)));
      });
      return { child, output: () => out, stdout: () => so, exited };
    },
    branches: async () =>
      (await repo.git(["branch", "--format=%(refname:short)"])).split("\n").filter(Boolean).sort(),
    worktrees: async () =>
      (await repo.git(["worktree", "list", "--porcelain"]))
        .split("\n")
        .filter((l) => l.startsWith("worktree "))
        .map((l) => l.slice("worktree ".length)),
  };
  projects.push(p);
  return p;
}

/** Polls `check` until it returns something other than undefined, or fails after `ms`. */
export async function waitFor<T>(
  check: () => Promise<T | undefined>,
  what: string | (() => string),
  ms = 20_000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > end)
      throw new Error(`timed out after ${ms} ms waiting for ${typeof what === "string" ? what : what()}`);
    // Each poll that runs the CLI costs a node start-up; on two cores agents need that CPU too.
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * A step that waits (a minute at least, then fails) until the test opens the gate: an agent that
 * "works" exactly as long as the test needs, without fixed sleeps.
 */
export function gate(p: Project, name: string): Step {
  const file = join(p.gates, name);
  return {
    run: `i=0; while [ ! -e '${file}' ]; do i=$((i+1)); if [ $i -gt 1200 ]; then echo 'gate ${name} never opened'; exit 1; fi; sleep 0.05; done`,
  };
}

/** Queues the parts and launches; waits until `id` is in review (else fails with its reason and log). */
export async function launchedToReview(p: Project, id: string): Promise<TaskStatus> {
  await p.ok(["queue"]);
  await p.ok(["launch"]);
  return p.reaches(id, "review");
}

/**
 * Write a file, commit it, report done: the ordinary end of a scripted run. `commit` and `done`
 * replace the commit message and the done report (its summary, or its fields).
 */
export function commitAndDone(
  path: string,
  content = `${path}\n`,
  o: { commit?: string; done?: string | Record<string, unknown> } = {},
): Step[] {
  return [
    { write: { path, content } },
    { commit: o.commit ?? `add ${path}` },
    { done: o.done ?? { summary: `wrote ${path}` } },
  ];
}

/** Whether the session log, prompt or any text file exists and contains `text`. */
export async function fileContains(file: string, text: string): Promise<boolean> {
  if (!existsSync(file)) return false;
  return (await readFile(file, "utf8")).includes(text);
}

/** True when the process with this pid exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
