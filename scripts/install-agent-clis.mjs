#!/usr/bin/env node
/**
 * Installs the real agent CLIs that the agent end-to-end tests drive (Claude Code, Codex, Gemini
 * CLI, OpenCode, Copilot CLI, Qwen Code, Pi, Cline, Kilo, Droid, Auggie, Amp: about 2.8 GB) into .cache/agent-clis, at the versions pinned with a lock in
 * test/agent-clis/. Ballador itself, the demo and every other test need none of them, so they are
 * not devDependencies: a fresh clone's `npm install` stays small, and these install the first time
 * a test that uses them runs (test/helpers/agent-clis.ts) or when CI asks (.ci/run).
 *
 * Idempotent: a stamp holding the hash of the pins says the cache is current, and nothing runs.
 * One install at a time (a lock folder; test files run in parallel workers). Talks while it works:
 * what it installs and why, then a line at least every 10 seconds.
 *
 * Usage: node scripts/install-agent-clis.mjs [--quiet]   (--quiet: say nothing when current)
 * BALLADOR_AGENT_CLIS_DIR moves the cache (e.g. one folder shared by several checkouts).
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const PINS = join(ROOT, "test", "agent-clis");
const DEST = process.env.BALLADOR_AGENT_CLIS_DIR || join(ROOT, ".cache", "agent-clis");
const LOCK = `${DEST}.lock`;
// 8 s: a line at least every 10 s even when a loaded machine delays the timer.
const TICK_MS = Number(process.env.BALLADOR_PROGRESS_EVERY_MS) || 8_000;
const quiet = process.argv.includes("--quiet");

/** Why each CLI is installed: the tests that drive it. The versions come from the pins. */
const WHY = {
  "@anthropic-ai/claude-code": { bin: "claude", tests: "test/agents/claude*.e2e, test/conductor/*.e2e" },
  "@openai/codex": { bin: "codex", tests: "test/agents/codex*.e2e" },
  "@google/gemini-cli": { bin: "gemini", tests: "test/agents/gemini*.e2e" },
  "opencode-ai": { bin: "opencode", tests: "test/agents/opencode*.e2e" },
  "@github/copilot": { bin: "copilot", tests: "test/agents/copilot*.e2e" },
  "@qwen-code/qwen-code": { bin: "qwen", tests: "test/agents/qwen*.e2e" },
  "@mariozechner/pi-coding-agent": { bin: "pi", tests: "test/agents/pi.e2e" },
  cline: { bin: "cline", tests: "test/agents/cline.e2e" },
  // The binary is in a platform package pinned beside the launcher: the registry here lacks the
  // one of the launcher's own version (its optional dependency), so npm would skip it.
  "@kilocode/cli": { bin: "kilo", tests: "test/agents/kilo.e2e", binary: "@kilocode/cli-linux-x64" },
  "@factory/cli": {
    bin: "droid",
    tests: "test/agents/droid.e2e, test/agents/kilo-droid-auggie-detect",
    binary: "@factory/cli-linux-x64",
  },
  "@augmentcode/auggie": { bin: "auggie", tests: "test/agents/kilo-droid-auggie-detect" },
  // Its launcher's install script puts the platform package's binary in place of bin/amp.exe.
  "@ampcode/cli": {
    bin: "amp",
    tests: "test/agents/amp-detect, test/adapters/amp-home",
    binary: "@ampcode/cli-linux-x64",
  },
};

/**
 * npm's EBADENGINE warnings for packages that ask for Node 22, which are expected here: Claude
 * Code's package runs its own native binary; Cline's packages and some of Pi's dependencies
 * (Google's auth libraries, the AI SDK) ask for it too, while `cline` is a compiled binary and
 * `pi` runs on Node 20 (both proven by their e2e tests). Those blocks are gathered (package
 * names) and said in one line; any other (a newer Node than 22) passes through.
 */
const newerNode = new Set();

const say = (line) => process.stderr.write(`agent CLIs: ${line}\n`);
const shown = (path) => (path.startsWith(ROOT) ? relative(ROOT, path) || "." : path);

const manifest = readFileSync(join(PINS, "package.json"), "utf8");
const lock = readFileSync(join(PINS, "package-lock.json"), "utf8");
const pins = JSON.parse(manifest).dependencies;
const key = createHash("sha256").update(manifest).update("\0").update(lock).digest("hex");
const stamp = join(DEST, "installed.json");

function current() {
  if (!existsSync(stamp)) return false;
  try {
    if (JSON.parse(readFileSync(stamp, "utf8")).key !== key) return false;
  } catch {
    return false;
  }
  return Object.values(WHY).every(({ bin }) => existsSync(join(DEST, "node_modules", ".bin", bin)));
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === "EPERM";
  }
}

/** The lock folder, or wait for its holder (another test worker installing the same pins). */
async function takeLock() {
  mkdirSync(dirname(LOCK), { recursive: true });
  let waited = 0;
  for (;;) {
    try {
      mkdirSync(LOCK);
      writeFileSync(join(LOCK, "pid"), String(process.pid));
      return;
    } catch (err) {
      if (err.code !== "EEXIST") throw err;
    }
    let holder = 0;
    try {
      holder = Number(readFileSync(join(LOCK, "pid"), "utf8"));
    } catch {
      // Taken a moment ago, its pid not written yet.
    }
    // A holder that died, or one that never wrote its pid (died between the two calls above).
    if ((holder && !alive(holder)) || (!holder && waited >= 5000)) {
      rmSync(LOCK, { recursive: true, force: true });
      continue;
    }
    if (waited % TICK_MS === 0)
      say(`waiting for another install of them (pid ${holder || "?"}), ${Math.round(waited / 1000)} s`);
    await sleep(500);
    waited += 500;
  }
}

/** npm's messages, passed on, except its EBADENGINE blocks (gathered in `newerNode`). */
function relay(stream) {
  let pending = "";
  let block = null;
  stream.setEncoding("utf8");
  stream.on("data", (chunk) => {
    pending += chunk;
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) {
      if (/^npm warn EBADENGINE Unsupported engine/.test(line)) block = [line];
      else if (block) {
        block.push(line);
        if (/^npm warn EBADENGINE }/.test(line)) {
          const text = block.join("\n");
          const name = /package: '([^']+)'/.exec(text)?.[1];
          if (name && /required: \{ node: '[^']*\b22\b/.test(text)) newerNode.add(name);
          else process.stderr.write(`${text}\n`);
          block = null;
        }
      } else if (line.trim()) process.stderr.write(`${line}\n`);
    }
  });
  stream.on("end", () => pending && process.stderr.write(`${pending}\n`));
}

function du(path) {
  return new Promise((resolve) => {
    const child = spawn("du", ["-sm", path], { stdio: ["ignore", "pipe", "ignore"] });
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.on("close", () => resolve(Number.parseInt(out, 10) || 0));
    child.on("error", () => resolve(0));
  });
}

async function install() {
  const started = Date.now();
  say(
    `installing the real agent CLIs for the tests that drive them (once, about 2.8 GB, into ${shown(DEST)}; pinned in test/agent-clis/; the demo and the other tests need none of them):`,
  );
  for (const [name, why] of Object.entries(WHY)) {
    const binary = why.binary ? ` with ${why.binary} ${pins[why.binary]}` : "";
    say(`  ${name} ${pins[name]}${binary} (\`${why.bin}\`): ${why.tests}`);
  }
  mkdirSync(DEST, { recursive: true });
  rmSync(stamp, { force: true });
  copyFileSync(join(PINS, "package.json"), join(DEST, "package.json"));
  copyFileSync(join(PINS, "package-lock.json"), join(DEST, "package-lock.json"));
  // `npm install`, not `npm ci`: the registry mirror here lacks some platform-only optional
  // packages, which `npm ci` reports as a lock file out of sync; the lock still pins every version.
  const child = spawn("npm", ["install", "--no-audit", "--no-fund", "--no-update-notifier"], {
    cwd: DEST,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, npm_config_progress: "false" },
  });
  relay(child.stdout);
  relay(child.stderr);
  const ticker = setInterval(async () => {
    const mb = await du(join(DEST, "node_modules"));
    say(`still installing: ${Math.round((Date.now() - started) / 1000)} s, ${mb} MB so far`);
  }, TICK_MS);
  const code = await new Promise((resolve) => {
    child.on("close", (c) => resolve(c ?? 1));
    child.on("error", (err) => {
      say(`cannot run npm: ${err.message}`);
      resolve(1);
    });
  });
  clearInterval(ticker);
  const claude = [...newerNode].filter((n) => n.startsWith("@anthropic-ai/claude-code@"));
  const others = [...newerNode].filter((n) => !claude.includes(n)).sort();
  if (claude.length > 0)
    say(
      "npm's EBADENGINE warning for Claude Code is expected: its package asks for Node 22, but it runs its own native binary, which works beside Node 20",
    );
  if (others.length > 0)
    say(
      `npm's EBADENGINE warnings for ${others.join(", ")} are expected: Qwen Code, Cline's packages and some of Pi's dependencies ask for Node 22, but \`cline\` is a compiled binary and \`qwen\` and \`pi\` run on Node 20 (proven by their e2e tests)`,
    );
  if (code !== 0) throw new Error(`npm install exited ${code} in ${shown(DEST)}`);
  const missing = Object.values(WHY).filter(
    ({ bin }) => !existsSync(join(DEST, "node_modules", ".bin", bin)),
  );
  if (missing.length)
    throw new Error(
      `npm install left no ${missing.map((m) => m.bin).join(", ")} in ${shown(DEST)}/node_modules/.bin`,
    );
  writeFileSync(stamp, `${JSON.stringify({ key, versions: pins }, null, 2)}\n`);
  say(`installed in ${Math.round((Date.now() - started) / 1000)} s`);
}

try {
  if (current()) {
    if (!quiet) say(`the pinned versions are already in ${shown(DEST)}`);
  } else {
    await takeLock();
    try {
      if (!current()) await install();
      else if (!quiet) say(`the pinned versions are already in ${shown(DEST)}`);
    } finally {
      rmSync(LOCK, { recursive: true, force: true });
    }
  }
} catch (err) {
  say(`failed: ${err.message}`);
  say("run `node scripts/install-agent-clis.mjs` again to retry (it needs the npm registry)");
  process.exit(1);
}
