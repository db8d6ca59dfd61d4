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
import { conduct } from "./conduct.js";
import { UserError } from "./errors.js";
import { init } from "./init.js";
import { openProject } from "./project.js";
import { queueParts } from "./queue.js";
import { CLI_ENTRY } from "./run-env.js";
import { newSpec } from "./specs.js";

const step = (title: string, lines: string[]) =>
  `\`\`\`ballador-script\n# ${title}\nsteps:\n${lines.map((l) => `  - ${l}`).join("\n")}\n\`\`\``;

const PARTS: Array<{ id: string; title: string; needs: string[]; scope: string; script: string }> = [
  {
    id: "greeting-core",
    title: "Greet a person by name",
    needs: [],
    scope: "src/greet.js",
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

export interface DemoOptions {
  keep: boolean;
  dir?: string;
  json: boolean;
  out?: (line: string) => void;
}

export async function demo(
  opts: DemoOptions,
): Promise<{ ok: boolean; repo: string; states: Record<string, number> }> {
  const out = opts.out ?? ((l: string) => console.log(l));
  const say = (l: string) => {
    if (!opts.json) out(l);
  };
  const home = opts.dir ? resolve(opts.dir) : mkdtempSync(join(tmpdir(), "ballador-demo-"));
  // Never delete what Ballador did not make: a folder given with --dir must be new, empty, or an
  // earlier demo's (it holds the marker); and only what the demo made in it is removed.
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
  const repo = join(home, "greeter");
  const socket = `ballador-demo-${process.pid}`;
  const git = (...args: string[]) => execFileSync("git", args, { cwd: repo, stdio: "pipe" });
  say(`\n== 1. A throwaway repository: ${repo}`);
  mkdirSync(repo, { recursive: true });
  execFileSync("git", ["init", "-q", "-b", "main", repo]);
  writeFileSync(join(repo, "README.md"), "# greeter\n\nA tiny project for the Ballador demo.\n");
  writeFileSync(
    join(repo, "verify.sh"),
    '#!/bin/sh\n# The contract of done: every JavaScript file parses.\nset -e\nfor f in $(find src -name "*.js" 2>/dev/null); do node --check "$f"; done\necho "verify: ok"\n',
  );
  chmodSync(join(repo, "verify.sh"), 0o755);
  const ident = ["-c", "user.name=Ballador demo", "-c", "user.email=demo@ballador.invalid"];
  git("add", "-A");
  git(...ident, "commit", "-q", "-m", "initial commit");

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
  const project = await openProject(repo);
  try {
    say('\n== 3. ballador spec new "Greeting service"');
    const spec = newSpec(project, "Greeting service");
    say(`created ${spec.path}`);
    say("\n== 4. Four parts: two independent, two depending on them");
    for (const p of PARTS) {
      const text = `---\nid: ${p.id}\ntitle: ${JSON.stringify(p.title)}\nspec: ${spec.path}\nneeds: [${p.needs.join(", ")}]\nscope: [${JSON.stringify(p.scope)}]\n---\n## Goal\n${p.title}.\n\n## How to do it\nThe scripted agent follows this script:\n\n${p.script}\n`;
      writeFileSync(join(project.paths.partsDir, spec.name, `${p.id}.md`), text);
      say(`  ${p.id}${p.needs.length ? `  (needs ${p.needs.join(", ")})` : ""}`);
    }
    git("add", "-A");
    git(...ident, "commit", "-q", "-m", "spec and parts for the greeting service");

    say("\n== 5. ballador queue && ballador graph");
    const q = queueParts(project, [], repo);
    say(`queued ${q.inserted.length} parts`);
    runCli(repo, ["graph"], opts.json);

    say(
      "\n== 6. ballador launch --watch: scripted agents in parallel, each in its own worktree and tmux session",
    );
    const r = await conduct(
      project,
      { intervalMs: 500, onProgress: (l) => say(l) },
      {
        onLaunch: (x) => {
          for (const s of x.started)
            say(`started ${s.id} on ${s.branch} (tmux -L ${socket} attach -t ${s.session})`);
          for (const f of x.failed) say(`FAILED ${f.id}: ${f.reason}`);
        },
        onChange: (id, from, to, reason) =>
          say(`  ${id}: ${from ?? "new"} -> ${to}${reason ? ` (${reason})` : ""}`),
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
  } finally {
    project.close();
    if (opts.keep) {
      say(`\nKept: the repo at ${repo}, its worktrees in ${repo}.ballador, tmux socket ${socket}.`);
      say(`Try: cd ${repo} && ballador show greeting-core`);
    } else {
      await new Tmux({ socket }).killServer().catch(() => undefined);
      if (madeHome) rmSync(home, { recursive: true, force: true });
      else for (const e of DEMO_ENTRIES) rmSync(join(home, e), { recursive: true, force: true });
      say(`\nCleaned up ${home} (run with --keep to look around).`);
    }
  }
}

function runCli(repo: string, args: string[], quiet: boolean): void {
  if (quiet) return;
  spawnSync(process.execPath, [CLI_ENTRY, "-C", repo, ...args], { stdio: "inherit" });
}
