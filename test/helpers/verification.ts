/**
 * Helpers for the verification tests: a project whose base carries an executable verify.sh
 * (judged on the base's version), parts with scope and spec, the review brief as JSON, the
 * sections of a brief, a local bare remote, and a recorded `gh` stand-in.
 *
 *   const p = await makeVerifyProject({ sandbox: "bwrap" });
 *   await writePart(p, "a", { scope: ["src/**"], steps: [...] });
 *   await p.ok(["queue"]);
 *   ...
 *   const b = await reviewBrief(p, "a");
 *   expect(briefSection(b.markdown, "Verification")).toContain("passed");
 *   afterEach(cleanupProjects);
 */
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { stringify } from "yaml";
import { git } from "./cli.js";
import { makeProject, type Project, type Step } from "./runtime.js";

/**
 * The project's tests, as a shell script on the base: app.txt must say "good", and every
 * `calls X` in caller.txt must be an `api: X` that lib.txt provides.
 */
export const VERIFY_SH = `#!/bin/sh
# The project's tests.
if ! grep -qx good app.txt 2>/dev/null; then
  echo "VERIFY-FAIL: app.txt says '$(cat app.txt 2>/dev/null)', expected 'good'"
  exit 1
fi
if [ -f caller.txt ]; then
  want=$(sed -n 's/^calls //p' caller.txt)
  if ! grep -qx "api: $want" lib.txt; then
    echo "VERIFY-FAIL: caller.txt calls $want, which lib.txt does not provide"
    exit 1
  fi
fi
echo "verify: all good"
`;

export interface VerifyProject extends Project {
  /** Latest run folder of a task. */
  runDir(id: string): Promise<string>;
  /** Commits everything in the main checkout (parts included): `merge` wants it clean. */
  commitAll(message: string): Promise<string>;
  /** The commit a ref points to. */
  rev(ref: string): Promise<string>;
  /** Subjects of the commits on a task's branch that the base does not have, newest first. */
  ownCommits(id: string): Promise<string[]>;
}

/**
 * A project with verify: ./verify.sh (executable, committed on main with app.txt "good" and
 * lib.txt "api: greet"), max_attempts 1, and `sandbox` as the sandbox mode (bwrap: no host
 * allowed). `config` is merged over that; `files` are committed too. With bwrap, waitState
 * waits up to 45 s by default.
 */
export async function makeVerifyProject(
  opts: { sandbox?: "bwrap" | "none"; config?: Record<string, unknown>; files?: Record<string, string> } = {},
): Promise<VerifyProject> {
  const mode = opts.sandbox ?? "none";
  const p = await makeProject({
    config: {
      verify: "./verify.sh",
      sandbox: mode === "bwrap" ? { mode: "bwrap", allow_hosts: [] } : { mode: "none" },
      ...opts.config,
    },
    files: { "app.txt": "good\n", "lib.txt": "api: greet\n", "verify.sh": VERIFY_SH, ...opts.files },
  });
  await chmod(join(p.dir, "verify.sh"), 0o755);
  await p.git(["add", "-A"]);
  await p.git(["commit", "-q", "-m", "verify.sh is executable"]);
  const vp = p as VerifyProject;
  if (mode === "bwrap") {
    const waitState = p.waitState;
    vp.waitState = (id, states, ms = 45_000) => waitState(id, states, ms);
  }
  vp.runDir = async (id) => {
    const runs = (await p.show(id)).runs;
    const last = runs[runs.length - 1];
    if (!last) throw new Error(`task ${id} has no run`);
    return last.runDir;
  };
  vp.commitAll = async (message) => {
    await p.git(["add", "-A"]);
    await p.git(["commit", "-q", "--allow-empty", "-m", message]);
    return vp.rev("HEAD");
  };
  vp.rev = async (ref) => (await p.git(["rev-parse", ref])).trim();
  vp.ownCommits = async (id) =>
    (await p.git(["log", "--format=%s", `main..ballador/${id}`])).split("\n").filter(Boolean);
  return vp;
}

export interface VerifyPartOptions {
  title?: string;
  needs?: string[];
  agent?: string;
  verify?: string;
  scope?: string[];
  spec?: string;
  body?: string;
  steps: Step[];
}

/** Writes .ballador/parts/<id>.md with the front matter given and the agent's script. */
export function writePart(p: Project, id: string, o: VerifyPartOptions): Promise<string> {
  const front: Record<string, unknown> = { id, title: o.title ?? `Part ${id}` };
  if (o.needs) front.needs = o.needs;
  if (o.agent) front.agent = o.agent;
  if (o.verify) front.verify = o.verify;
  if (o.scope) front.scope = o.scope;
  if (o.spec) front.spec = o.spec;
  const script = `\`\`\`ballador-script\n${JSON.stringify({ steps: o.steps })}\n\`\`\`\n`;
  return p.write(
    `.ballador/parts/${id}.md`,
    `---\n${stringify(front)}---\n${o.body ?? `Do part ${id}.`}\n\n${script}`,
  );
}

/** A shell fragment that commits everything staged-or-not, with an identity (run steps get no git identity). */
export function gitCommit(message: string, addArgs = "-A"): string {
  return `git add ${addArgs} && git -c user.name=Agent -c user.email=agent@example.invalid commit -q -m '${message}'`;
}

/**
 * An agent that forges its done report: writes `path`, commits it (nothing to commit is fine),
 * then writes a done report with `text` straight into the run folder's inbox (what `ballador
 * done` writes, minus its gate), so only Ballador's clean verification judges the work.
 */
export function commitAndForgeDone(path: string, content: string, commit: string, text: string): Step[] {
  const report = JSON.stringify({ kind: "done", text, at: "2020-01-01T00:00:00.000Z" });
  return [
    { write: { path, content } },
    { commit, allow_fail: true },
    {
      run: `printf '%s' '${report}' > "$BALLADOR_RUN_DIR/inbox/.forged" && mv "$BALLADOR_RUN_DIR/inbox/.forged" "$BALLADOR_RUN_DIR/inbox/000000000000001-1-f0f0f0.json"`,
    },
  ];
}

/**
 * Attempt 1 commits a broken app.txt and fixes it only in the worktree, then reports done with
 * --allow-dirty: its gate passes on the dirty tree, Ballador's clean checkout of the commit
 * fails. Attempt 2 on commits the fix (`fix`: its commit message).
 */
export function fixedOnlyInWorktree(fix = "the fix"): Step[] {
  return [
    { run: `if [ {attempt} -eq 1 ]; then echo bad > app.txt && ${gitCommit("first try")}; fi` },
    { write: { path: "app.txt", content: "good\n" } },
    { run: `if [ {attempt} -ge 2 ]; then ${gitCommit(fix)}; fi` },
    { ballador: ["done", "--allow-dirty", "--summary", "attempt {attempt}"] },
  ];
}

export interface BriefJson {
  path: string;
  markdown: string;
  data: {
    head: string | null;
    attempts: number;
    profiles: string[];
    flaky: string[];
    tampered: string[];
    outsideScope: string[];
    conflicts: string[];
    denials: Array<{ host: string; port: number | null; count: number }>;
    verification: Array<{
      kind: string;
      command: string | null;
      passed: boolean;
      ms: number;
      commit: string | null;
    }>;
  };
}

/** `ballador review TASK --json --no-diff`: the brief (written to the latest run folder) and its data. */
export async function reviewBrief(p: Project, id: string): Promise<BriefJson> {
  const r = await p.ok(["review", id, "--json", "--no-diff"]);
  return JSON.parse(r.stdout) as BriefJson;
}

/** The body of a `## Heading` section of a markdown brief (up to the next `## `), or "" when absent. */
export function briefSection(markdown: string, heading: string): string {
  const lines = markdown.split("\n");
  const start = lines.findIndex((l) => l.trim() === `## ${heading}`);
  if (start < 0) return "";
  const rest = lines.slice(start + 1);
  const end = rest.findIndex((l) => l.startsWith("## "));
  return (end < 0 ? rest : rest.slice(0, end)).join("\n").trim();
}

/** The `## ` headings of a markdown brief, in order. */
export function briefHeadings(markdown: string): string[] {
  return markdown
    .split("\n")
    .filter((l) => l.startsWith("## "))
    .map((l) => l.slice(3).trim());
}

/** A bare repository beside the project, added as its `origin`. */
export async function addBareRemote(p: Project, name = "origin"): Promise<string> {
  const bare = join(p.parent, "remote.git");
  await git(["init", "-q", "--bare", "-b", "main", bare], p.parent, p.env);
  await p.git(["remote", "add", name, bare]);
  return bare;
}

export interface GhStandIn {
  /** Put first on PATH of the ballador process. */
  binDir: string;
  /** The environment to add to a ballador run: PATH with the stand-in first. */
  env: NodeJS.ProcessEnv;
  /** The argv of every `gh pr create`, one array per call. */
  calls(): Promise<string[][]>;
  /** The content of the --body-file of the last `gh pr create`. */
  body(): Promise<string>;
  /** What `gh api --hostname example.test PATH` answers from now on (JSON); unserved paths are 404. */
  serve(path: string, answer: unknown): Promise<void>;
  /** The PATH of every `gh api` call, in order. */
  apiCalls(): Promise<string[]>;
  /** Every `gh api -X METHOD PATH --input -` (a write), with its JSON body, in order. */
  writes(): Promise<Array<{ method: string; path: string; body: unknown }>>;
  /** The next `n` writes fail as gh does on a 502 (nothing recorded). */
  failWrites(n: number): Promise<void>;
  /** Reading PATH fails as gh does on a 502 from now on. */
  failOn(path: string): Promise<void>;
  /** The first pull request's URL. */
  url: string;
  /** The pull request's API path prefix: repos/acme/widgets/pulls/1 (and .../issues/1 for conversation). */
  repo: string;
}

/** File name under which the stand-in keeps the answer for an API path. */
const answerFile = (path: string) => path.replace(/[^A-Za-z0-9._-]/g, "_");

/**
 * A `gh` executable that answers `gh auth status` with 0, and `gh pr create ...` by recording
 * its argv (one line per argument, calls separated by a line "--call--") and the --body-file
 * content, then printing a pull request URL (pull/1, then pull/2, ...). `gh api --hostname HOST PATH` prints what `serve`
 * set for PATH (recording the call), or fails as gh does on a 404 (or a 502 after `failOn`).
 * `gh api --hostname HOST -X METHOD PATH --input -` records the write and its stdin (or fails
 * while `failWrites` counts down). Anything else exits 2.
 */
export async function ghStandIn(p: Project): Promise<GhStandIn> {
  const binDir = join(p.parent, "gh-bin");
  const record = join(p.parent, "gh-record");
  const answers = join(record, "api");
  await mkdir(binDir, { recursive: true });
  await mkdir(answers, { recursive: true });
  const url = "https://example.test/acme/widgets/pull/1";
  const script = `#!/bin/sh
record='${record}'
if [ "$1" = auth ] && [ "$2" = status ]; then echo "Logged in to example.test"; exit 0; fi
if [ "$1" = pr ] && [ "$2" = create ]; then
  for a in "$@"; do printf '%s\n' "$a"; done >> "$record/argv"
  echo "--call--" >> "$record/argv"
  while [ $# -gt 0 ]; do
    if [ "$1" = --body-file ]; then cp "$2" "$record/body.md"; fi
    shift
  done
  n=$(( $(cat "$record/count" 2>/dev/null || echo 0) + 1 )); echo $n > "$record/count"
  echo "Creating pull request"
  echo "https://example.test/acme/widgets/pull/$n"
  exit 0
fi
if [ "$1" = api ] && [ "$2" = --hostname ] && [ "$3" = example.test ] && [ "$4" = -X ] && [ "$7" = --input ] && [ "$8" = - ]; then
  f="$record/fail-writes"
  n=$(cat "$f" 2>/dev/null || echo 0)
  if [ "$n" -gt 0 ]; then echo $((n - 1)) > "$f"; echo "gh: Server Error (HTTP 502)" >&2; exit 1; fi
  body=$(cat)
  printf '%s %s %s\n' "$5" "$6" "$body" >> "$record/api-writes"
  echo '{}'
  exit 0
fi
if [ "$1" = api ] && [ "$2" = --hostname ] && [ "$3" = example.test ] && [ $# -eq 4 ]; then
  printf '%s\n' "$4" >> "$record/api-calls"
  f="$record/api/$(printf '%s' "$4" | tr -c 'A-Za-z0-9._-' '_')"
  if [ -f "$f.fail" ]; then echo "gh: Server Error (HTTP 502)" >&2; exit 1; fi
  if [ -f "$f" ]; then cat "$f"; exit 0; fi
  echo '{"message":"Not Found","status":"404"}'
  echo "gh: Not Found (HTTP 404)" >&2
  exit 1
fi
echo "gh stand-in: unexpected arguments: $*" >&2
exit 2
`;
  const gh = join(binDir, "gh");
  await writeFile(gh, script);
  await chmod(gh, 0o755);
  return {
    binDir,
    env: { PATH: `${binDir}:${p.env.PATH ?? process.env.PATH ?? ""}` },
    url,
    repo: "repos/acme/widgets",
    calls: async () => {
      const text = await readFile(join(record, "argv"), "utf8").catch(() => "");
      return text
        .split("--call--\n")
        .filter((c) => c.length > 0)
        .map((c) => c.split("\n").filter((l, i, all) => i < all.length - 1 || l !== ""));
    },
    body: () => readFile(join(record, "body.md"), "utf8"),
    serve: (path, answer) => writeFile(join(answers, answerFile(path)), JSON.stringify(answer)),
    apiCalls: async () =>
      (await readFile(join(record, "api-calls"), "utf8").catch(() => "")).split("\n").filter(Boolean),
    writes: async () =>
      (await readFile(join(record, "api-writes"), "utf8").catch(() => ""))
        .split("\n")
        .filter(Boolean)
        .map((l) => {
          const [method, path, ...rest] = l.split(" ");
          return {
            method: method as string,
            path: path as string,
            body: JSON.parse(rest.join(" ")) as unknown,
          };
        }),
    failWrites: (n) => writeFile(join(record, "fail-writes"), String(n)),
    failOn: (path) => writeFile(join(answers, `${answerFile(path)}.fail`), ""),
  };
}
