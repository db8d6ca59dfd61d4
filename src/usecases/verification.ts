/**
 * Verification Ballador trusts: on a fresh checkout of the branch's commit (nothing uncommitted,
 * a new process, inside the sandbox), judged by the verify command and script as they stand
 * on the project's base, never the branch's own copy. Changes to them are reported, not used.
 */
import { copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, isAbsolute, join, normalize, relative, resolve } from "node:path";
import { git, pruneWorktrees, removeWorktree } from "../adapters/git/index.js";
import { runShell } from "../adapters/process/shell.js";
import type { RunSandbox } from "../adapters/sandbox/index.js";

export interface Verdict {
  ok: boolean;
  command: string | null;
  code: number | null;
  ms: number;
  /** The end of the output, trimmed to what matters. */
  tail: string;
  commit: string;
  /** Files that decide verification, changed on the branch (judged by the base's version instead). */
  tampered: string[];
  log: string;
}

/**
 * The files that decide what "verified" means: the config, every repository path the verify
 * command names (`./verify.sh`, `sh scripts/check.sh`), and the manifest of the runner it
 * calls (`npm test` reads package.json, `make` the Makefile).
 */
export function protectedPaths(verify: string | null): string[] {
  const paths = new Set([".ballador/config.yaml"]);
  const words = verify?.trim().split(/\s+/) ?? [];
  for (const w of words) {
    const word = w.replace(/^['"]|['"]$/g, "");
    if (!word || isAbsolute(word) || word.startsWith("-")) continue;
    if (word.startsWith("./") || word.includes("/") || /\.(sh|js|mjs|cjs|ts|py|rb|pl)$/.test(word)) {
      const p = normalize(word);
      if (!p.startsWith("..")) paths.add(p);
    }
  }
  const runner = words[0];
  if (runner && ["npm", "yarn", "pnpm", "bun", "npx"].includes(runner)) paths.add("package.json");
  if (runner === "make") paths.add("Makefile");
  return [...paths];
}

async function blob(repo: string, rev: string, path: string): Promise<string | null> {
  const r = await git(["rev-parse", "--verify", "--quiet", "--end-of-options", `${rev}:${path}`], {
    cwd: repo,
    allowFail: true,
  });
  return r.code === 0 ? r.stdout.trim() : null;
}

/** Protected files whose content on `commit` differs from `base`. */
export async function tamperedFiles(
  repo: string,
  base: string,
  commit: string,
  paths: readonly string[],
): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    if ((await blob(repo, base, p)) !== (await blob(repo, commit, p))) out.push(p);
  }
  return out;
}

/** Keeps what a reader needs: the last lines, plus earlier lines that name failures. */
export function trimOutput(output: string, maxLines = 40): string {
  const lines = output.trimEnd().split("\n");
  if (lines.length <= maxLines) return lines.join("\n");
  const tail = lines.slice(-Math.floor(maxLines * 0.6));
  const head = lines
    .slice(0, -tail.length)
    .filter((l) => /\b(fail|failed|error|assert|expected|✗|not ok)\b/i.test(l))
    .slice(0, maxLines - tail.length);
  return [
    ...head,
    `... (${lines.length - head.length - tail.length} more lines in the full log)`,
    ...tail,
  ].join("\n");
}

export interface CleanVerifyInput {
  repoRoot: string;
  worktree: string;
  runDir: string;
  projectBase: string;
  verify: string | null;
  bootstrap: readonly string[];
  copy: readonly string[];
  env: Record<string, string>;
  timeoutMs: number;
  sandbox: RunSandbox | null;
  say?: (line: string) => void;
}

export async function verifyClean(input: CleanVerifyInput): Promise<Verdict> {
  const say = input.say ?? (() => {});
  const commit = (await git(["rev-parse", "HEAD"], { cwd: input.worktree })).stdout.trim();
  const log = join(input.runDir, "verify.log");
  const started = Date.now();
  if (!input.verify) {
    return { ok: true, command: null, code: 0, ms: 0, tail: "", commit, tampered: [], log };
  }
  const paths = protectedPaths(input.verify);
  const tampered = await tamperedFiles(input.repoRoot, input.projectBase, commit, paths);
  // A unique name: git names the tree's admin folder after it, and runs verify concurrently.
  const tree = join(input.runDir, `verify-${basename(input.runDir)}`);
  await dropTree(input.repoRoot, tree);
  await git(["worktree", "add", "--detach", "--quiet", tree, commit], { cwd: input.repoRoot });
  try {
    for (const p of tampered) {
      // Judge by the base's version: restore it (or remove a file the base does not have).
      const target = resolve(tree, p);
      const baseBlob = await blob(input.repoRoot, input.projectBase, p);
      if (baseBlob) {
        const content = await git(["cat-file", "blob", baseBlob], { cwd: input.repoRoot });
        mkdirSync(dirname(target), { recursive: true });
        writeFileSync(target, content.stdout, { mode: 0o755 });
      } else {
        rmSync(target, { force: true });
      }
      say(`${p} differs from ${input.projectBase}: verifying with the base's version`);
    }
    for (const file of input.copy) {
      const from = resolve(input.repoRoot, file);
      const rel = relative(input.repoRoot, from);
      if (rel.startsWith("..") || !existsSync(from)) continue;
      mkdirSync(dirname(join(tree, rel)), { recursive: true });
      copyFileSync(from, join(tree, rel));
    }
    const run = async (label: string, command: string) => {
      const wrapped = input.sandbox ? await input.sandbox.wrapShell(command, tree) : undefined;
      return runShell(command, {
        cwd: tree,
        env: { ...input.env, BALLADOR_VERIFY_TREE: tree },
        logFile: log,
        label,
        timeoutMs: input.timeoutMs,
        ...(wrapped ? { wrapped } : {}),
      });
    };
    for (const command of input.bootstrap) {
      if (!command.trim()) continue;
      const b = await run("bootstrap", command);
      if (b.code !== 0) {
        return {
          ok: false,
          command: command,
          code: b.code,
          ms: Date.now() - started,
          tail: trimOutput(b.output),
          commit,
          tampered,
          log,
        };
      }
    }
    const r = await run("verify", input.verify);
    return {
      ok: r.code === 0 && !r.timedOut,
      command: input.verify,
      code: r.timedOut ? null : r.code,
      ms: Date.now() - started,
      tail: trimOutput(r.output),
      commit,
      tampered,
      log,
    };
  } finally {
    await dropTree(input.repoRoot, tree);
  }
}

async function dropTree(repo: string, tree: string): Promise<void> {
  if (existsSync(tree)) {
    await removeWorktree(repo, tree, { force: true }).catch(() => undefined);
    rmSync(tree, { recursive: true, force: true });
  }
  await pruneWorktrees(repo).catch(() => undefined);
}
