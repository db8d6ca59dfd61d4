/**
 * The demo: the whole journey on a throwaway repository. A spec, four parts (two independent,
 * two depending on them), scripted agents launched in parallel in tmux, conducted until every
 * part is verified and in review, then `status` and `next` as a person would run them.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Tmux } from "../adapters/tmux/index.js";
import { terminalBlock, terminalLine } from "../core/terminal-text.js";
import { newSpec, queueParts } from "../plan/index.js";
import { CLI_ENTRY, type Project, UserError } from "../project/index.js";
import { conduct } from "../watch/index.js";
import { init } from "./init.js";

const step = (title: string, lines: string[]) =>
  `\`\`\`ballador-script\n# ${title}\nsteps:\n${lines.map((l) => `  - ${l}`).join("\n")}\n\`\`\``;

const PARTS: Array<{
  id: string;
  title: string;
  needs: string[];
  scope: string;
  accept: string;
  script: string;
}> = [
  {
    id: "greeting-core",
    title: "Greet a person by name",
    needs: [],
    scope: "src/greet.js",
    accept: 'greet("Ada") returns "Hello, Ada!" and prints nothing',
    script: step("write the greeting, commit, report", [
      'print: "reading the part and the spec"',
      "sleep: 800",
      'write: { path: src/greet.js, content: "export function greet(name) {\\n  return \\"Hello, \\" + name + \\"!\\";\\n}\\n" }',
      'note: "greet() returns a string rather than printing, so the CLI part can decide where output goes"',
      'commit: "feat: greet a person by name"',
      'done: { summary: "src/greet.js exports greet(name)" }',
    ]),
  },
  {
    id: "farewell-core",
    title: "Say goodbye",
    needs: [],
    scope: "src/farewell.js",
    accept: 'farewell("Ada") returns "Goodbye, Ada." and prints nothing',
    script: step("write the farewell, commit, report", [
      "sleep: 1200",
      'write: { path: src/farewell.js, content: "export function farewell(name) {\\n  return \\"Goodbye, \\" + name + \\".\\";\\n}\\n" }',
      'commit: "feat: say goodbye"',
      'done: { summary: "src/farewell.js exports farewell(name)" }',
    ]),
  },
  {
    id: "greeting-cli",
    title: "A command line that greets",
    needs: ["greeting-core"],
    scope: "src/cli.js",
    accept: "node src/cli.js Ada prints Hello, Ada!",
    script: step("build on greet(), commit, report", [
      "sleep: 600",
      'write: { path: src/cli.js, content: "import { greet } from \\"./greet.js\\";\\nconsole.log(greet(process.argv[2] ?? \\"world\\"));\\n" }',
      'run: "node src/cli.js Ballador"',
      'commit: "feat: greeting command line"',
      'done: { summary: "node src/cli.js NAME prints the greeting" }',
    ]),
  },
  {
    id: "usage-docs",
    title: "Document greeting and farewell",
    needs: ["greeting-core", "farewell-core"],
    scope: "docs/USAGE.md",
    accept: "docs/USAGE.md names greet and farewell and the file of each",
    script: step("document both functions, commit, report", [
      "sleep: 600",
      'write: { path: docs/USAGE.md, content: "# Usage\\n\\n- greet(name) from src/greet.js\\n- farewell(name) from src/farewell.js\\n" }',
      'commit: "docs: usage of greet and farewell"',
      'done: { summary: "docs/USAGE.md covers both functions" }',
    ]),
  },
];

/** The demo's own entries in its folder; only these are ever removed from a folder it did not make. */
const DEMO_MARKER = ".ballador-demo";
const DEMO_ENTRIES = ["greeter", "greeter.ballador", DEMO_MARKER];

/**
 * The demo's living spec: what a person writes before cutting parts, so the prompt each agent
 * receives and the review brief show what a spec gives (the why, the options, the decision).
 */
function greetingSpec(number: number, date: string): string {
  const num = String(number).padStart(4, "0");
  return `---
number: ${number}
title: "Greeting service"
status: accepted
created: ${date}
---
# ${num} Greeting service

## Context
greeter is a small Node.js project with no code yet: a README and \`verify.sh\`, which checks that
every JavaScript file under \`src/\` parses. Two teams want to say hello and goodbye to people by
name: a command line today, a web page later.

## Problem
Nothing greets anyone. We need a greeting and a farewell that every front end can share, a
command line that uses the greeting, and documentation a newcomer can follow. Solved when
\`node src/cli.js Ada\` prints \`Hello, Ada!\`, both functions are documented in \`docs/USAGE.md\`,
and \`./verify.sh\` passes.

## Options
1. **One file doing everything** (\`src/cli.js\` builds and prints the text). Smallest, but the web
   page would have to copy the wording, and two copies drift.
2. **Pure functions plus thin front ends**: \`greet(name)\` and \`farewell(name)\` return strings in
   their own modules; each front end decides where the text goes. One more file per function;
   the wording lives in one place and is testable without a terminal.
3. **A template file of messages** loaded at run time. Flexible wording, but a file format and a
   loader to maintain before anyone has asked for a second language.

## Decision
Option 2. \`src/greet.js\` exports \`greet(name)\` returning \`"Hello, " + name + "!"\`;
\`src/farewell.js\` exports \`farewell(name)\` returning \`"Goodbye, " + name + "."\`. Neither prints.
\`src/cli.js\` imports \`greet\` and prints \`greet(process.argv[2] ?? "world")\`. \`docs/USAGE.md\`
lists both functions with the file each lives in. ES modules throughout (\`import\`/\`export\`).
The work is cut into four parts: the two functions are independent; the command line needs the
greeting; the documentation needs both.

## Tried and did not work
- Printing inside \`greet()\` (option 1 in disguise): the first web page prototype had to capture
  stdout to get the text back. Functions return; callers print.

## Access patterns
- \`greet\` and \`farewell\` are called once per request or command, with a short name (under 100
  characters); no state, no I/O, so any front end may call them from anywhere.
- The command line runs once per invocation, reads one argument, writes one line to stdout.
- \`docs/USAGE.md\` is read by newcomers and by agents starting a part: keep it to what exists.

## Consequences
- Wording changes happen in one file per message, and the web page gets them for free.
- A second language later means a parameter or a new module, not a rewrite of the front ends.
- Every new front end is a thin file; its part depends on the functions it uses.

## History
- ${date}: accepted, cut into four parts (greeting-core, farewell-core, greeting-cli, usage-docs)
`;
}

export interface DemoOptions {
  keep: boolean;
  dir?: string;
  json: boolean;
  out?: (line: string) => void;
  /** How the face opens the project the demo just made (only faces open projects). */
  open: (repo: string) => Promise<Project>;
}

/** The demo repository's commits are by the demo, whoever runs it. */
const DEMO_IDENT = ["-c", "user.name=Ballador demo", "-c", "user.email=demo@ballador.invalid"];

function demoGit(repo: string, ...args: string[]): void {
  execFileSync("git", args, { cwd: repo, stdio: "pipe" });
}

/** The demo's stages: its folder, the repository and init, the spec and parts, the conducting, then cleanup. */
export async function demo(
  opts: DemoOptions,
): Promise<{ ok: boolean; repo: string; states: Record<string, number> }> {
  const out = opts.out ?? ((l: string) => console.log(l));
  const say = (l: string) => {
    if (!opts.json) out(l);
  };
  const { home, madeHome } = prepareHome(opts);
  const repo = join(home, "greeter");
  const socket = `ballador-demo-${process.pid}`;
  const server = new Tmux({ socket });
  // Only a socket file the demo's own server creates is removed at the end.
  const hadSocket = existsSync(server.socketPath());
  await makeRepository(repo, socket, say);
  const project = await opts.open(repo);
  try {
    await writeSpecAndParts(project, repo, say);
    return await conductTheParts(project, repo, socket, opts, say);
  } finally {
    project.close();
    if (opts.keep) {
      say(`\nKept: the repo at ${repo}, its worktrees in ${repo}.ballador, tmux socket ${socket}.`);
      say(`Try: cd ${repo} && ballador show greeting-core`);
    } else {
      await server.killServer().catch(() => undefined);
      if (!hadSocket) server.removeSocketFile();
      if (madeHome) rmSync(home, { recursive: true, force: true });
      else for (const e of DEMO_ENTRIES) rmSync(join(home, e), { recursive: true, force: true });
      say(`\nCleaned up ${home} (run with --keep to look around).`);
    }
  }
}

/**
 * The demo's folder, marked as the demo's. Never deletes what Ballador did not make: a folder
 * given with --dir must be new, empty, or an earlier demo's (it holds the marker); and only what
 * the demo made in it is removed.
 */
function prepareHome(opts: DemoOptions): { home: string; madeHome: boolean } {
  const home = opts.dir ? resolve(opts.dir) : mkdtempSync(join(tmpdir(), "ballador-demo-"));
  const madeHome = !opts.dir || !existsSync(home);
  if (opts.dir && existsSync(home)) {
    const entries = readdirSync(home);
    if (entries.length > 0 && !entries.includes(DEMO_MARKER)) {
      throw new UserError(
        `${home} is not empty and was not made by "ballador demo"; pass a new or empty folder with --dir (nothing was changed)`,
        4,
      );
    }
    if (entries.includes(DEMO_MARKER)) {
      for (const e of DEMO_ENTRIES) rmSync(join(home, e), { recursive: true, force: true });
    }
  }
  mkdirSync(home, { recursive: true });
  writeFileSync(join(home, DEMO_MARKER), "made by ballador demo; removed with it\n");
  return { home, madeHome };
}

/** Steps 1 and 2: a throwaway repository with a verify.sh, and `ballador init` with the demo's settings. */
async function makeRepository(repo: string, socket: string, say: (l: string) => void): Promise<void> {
  say(`\n== 1. A throwaway repository: ${repo}`);
  mkdirSync(repo, { recursive: true });
  execFileSync("git", ["init", "-q", "-b", "main", repo]);
  writeFileSync(join(repo, "README.md"), "# greeter\n\nA tiny project for the Ballador demo.\n");
  writeFileSync(
    join(repo, "verify.sh"),
    '#!/bin/sh\n# The contract of done: every JavaScript file parses.\nset -e\nfor f in $(find src -name "*.js" 2>/dev/null); do node --check "$f"; done\necho "verify: ok"\n',
  );
  chmodSync(join(repo, "verify.sh"), 0o755);
  demoGit(repo, "add", "-A");
  demoGit(repo, ...DEMO_IDENT, "commit", "-q", "-m", "initial commit");

  say("\n== 2. ballador init");
  await init(repo);
  // The demo's own settings: scripted agents, stacked dependents, its own tmux socket.
  writeFileSync(
    join(repo, ".ballador", "config.yaml"),
    `# Written by ballador demo.
base: main
verify: ./verify.sh
max_parallel: 4
stack: true          # dependents start from their dependencies' branches once those are in review
tmux_socket: ${socket}
agents:
  default: scripted
  profiles:
    scripted: { preset: scripted }
sandbox:
  mode: bwrap        # each agent, its verify and hooks run in bubblewrap; network only via the proxy
  allow_hosts: []    # the scripted agents need no network
`,
  );
}

/** Steps 3 and 4: the spec, filled in, and its four parts, committed. */
async function writeSpecAndParts(project: Project, repo: string, say: (l: string) => void): Promise<void> {
  say('\n== 3. ballador spec new "Greeting service"');
  const spec = newSpec(project, "Greeting service");
  // The template, filled in as a person would before cutting parts.
  writeFileSync(join(repo, spec.path), greetingSpec(spec.number, new Date().toISOString().slice(0, 10)));
  say(`created ${spec.path}: context, problem, options, decision, access patterns (cat it to read)`);
  say("\n== 4. Four parts: two independent, two depending on them");
  for (const p of PARTS) {
    const text = `---\nid: ${p.id}\ntitle: ${JSON.stringify(p.title)}\nspec: ${spec.path}\nneeds: [${p.needs.join(", ")}]\nscope: [${JSON.stringify(p.scope)}]\n---\n## Goal\n${p.title}, as the spec's Decision says.\n\n## Acceptance criteria\n- ${p.accept}\n- ./verify.sh passes\n\n## How to do it\nThe scripted agent follows this script:\n\n${p.script}\n`;
    writeFileSync(join(project.paths.partsDir, spec.name, `${p.id}.md`), text);
    say(`  ${p.id}${p.needs.length ? `  (needs ${p.needs.join(", ")})` : ""}`);
  }
  demoGit(repo, "add", "-A");
  demoGit(repo, ...DEMO_IDENT, "commit", "-q", "-m", "spec and parts for the greeting service");
}

/** Steps 5 to 8: queue, launch --watch until every part is in review, then status and next. */
async function conductTheParts(
  project: Project,
  repo: string,
  socket: string,
  opts: DemoOptions,
  say: (l: string) => void,
): Promise<{ ok: boolean; repo: string; states: Record<string, number> }> {
  say("\n== 5. ballador queue && ballador graph");
  const q = queueParts(project, [], repo);
  say(`queued ${q.inserted.length} parts`);
  runCli(repo, ["graph"], opts.json);

  say(
    "\n== 6. ballador launch --watch: scripted agents in parallel, each in its own worktree and tmux session",
  );
  const r = await conduct(
    project,
    { onProgress: (l) => say(terminalBlock(l)) },
    {
      onLaunch: (x) => {
        for (const s of x.started)
          say(`started ${s.id} on ${s.branch} (tmux -L ${socket} attach -t ${s.session})`);
        for (const f of x.failed) say(`FAILED ${f.id}: ${terminalBlock(f.reason)}`);
      },
      onChange: (id, from, to, reason) =>
        say(`  ${id}: ${from ?? "new"} -> ${to}${reason ? ` (${terminalLine(reason)})` : ""}`),
    },
  );

  say("\n== 7. ballador status");
  runCli(repo, ["status"], opts.json);
  say("\n== 8. ballador next");
  runCli(repo, ["next"], opts.json);
  const ok = (r.states.review ?? 0) === PARTS.length;
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ ok, repo, states: r.states }, null, 2)}\n`);
  }
  say(
    ok
      ? `\nAll ${PARTS.length} parts were done by their agents, verified, and wait for review.`
      : `\nNot every part reached review: ${JSON.stringify(r.states)}. Logs: ballador -C ${repo} logs <task>`,
  );
  return { ok, repo, states: r.states };
}

function runCli(repo: string, args: string[], quiet: boolean): void {
  if (quiet) return;
  spawnSync(process.execPath, [CLI_ENTRY, "-C", repo, ...args], { stdio: "inherit" });
}
