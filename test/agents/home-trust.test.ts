/**
 * A run's HOME is the agent's: host-side code that seeds it or carries it into the next
 * attempt must never follow a link the agent planted there, nor copy a FIFO, socket or device.
 * First through the real executable (a hostile scripted agent, sandboxed, whose failed attempt
 * is retried with resume), then prepareAgentHome on a HOME already full of links.
 */
import { execFileSync } from "node:child_process";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { chmod, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { prepareAgentHome } from "../../src/adapters/agents/home.js";
import { type ResolvedProfile, resolveProfile } from "../../src/adapters/agents/profiles.js";
import { carryInto, HomeFiles } from "../../src/adapters/hostile/home-files.js";
import { DEFAULT_CONFIG } from "../../src/config/schema.js";
import { cleanupTempDirs, makeTempDir } from "../helpers/cli.js";
import { cleanupSandboxTests, makeSandboxProject } from "../helpers/sandbox.js";

afterEach(async () => {
  await cleanupSandboxTests();
  await cleanupTempDirs();
});

/** Every entry under `dir` that is not a regular file or a folder (lstat, never followed). */
function oddEntries(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const full = join(d, name);
      const st = lstatSync(full);
      if (st.isDirectory()) walk(full);
      else if (!st.isFile()) out.push(full);
    }
  };
  walk(dir);
  return out;
}

/** A folder of files outside every HOME, which nothing may change; and its snapshot. */
function victim(dir: string): { dir: string; snapshot: () => Record<string, string> } {
  const v = join(dir, "victim");
  mkdirSync(join(v, "sessions"), { recursive: true });
  for (const [name, text] of Object.entries({
    "secret.txt": "VICTIM-SECRET\n",
    "settings.json": '{"victim":true}\n',
    "state.json": '{"victim":"state"}\n',
    gitconfig: "[user]\n\tname = Victim\n",
    "auth.json": '{"victim":"auth"}\n',
    "sessions/old.jsonl": "victim session\n",
  }))
    writeFileSync(join(v, name), text);
  const snapshot = () => {
    const out: Record<string, string> = {};
    const walk = (d: string, rel: string) => {
      for (const name of readdirSync(d).sort()) {
        const full = join(d, name);
        if (lstatSync(full).isDirectory()) walk(full, `${rel}${name}/`);
        else out[`${rel}${name}`] = readFileSync(full, "utf8");
      }
    };
    walk(v, "");
    return out;
  };
  return { dir: v, snapshot };
}

/** Everything found under a folder, as text, to look for a victim's content. */
function allText(dir: string): string {
  let out = "";
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const full = join(d, name);
      const st = lstatSync(full);
      if (st.isDirectory()) walk(full);
      else if (st.isFile()) out += readFileSync(full, "utf8");
    }
  };
  walk(dir);
  return out;
}

/** The hostile script: the first attempt plants, fails verify; the resumed one finds what was carried. */
const PLANT = String.raw`set -e
P="$HOME/.claude/projects/-wt"
if [ -f "$P/conv.jsonl" ]; then
  printf 'right\n' > out.txt
else
  mkdir -p "$P/sub"
  printf 'the conversation\n' > "$P/conv.jsonl"
  printf 'deep\n' > "$P/sub/deep.txt"
  ln -s "$VICTIM/secret.txt" "$P/secret-link.jsonl"
  ln -s "$VICTIM" "$HOME/.claude/projects/dir-link"
  mkfifo "$P/pipe.jsonl"
  rm -f "$HOME/.claude/settings.json" "$HOME/.gitconfig"
  ln -s "$VICTIM/settings.json" "$HOME/.claude/settings.json"
  ln -s "$VICTIM/gitconfig" "$HOME/.gitconfig"
  # ~/.claude.json is a file bound into the sandbox: it cannot be replaced from inside.
  { rm -f "$HOME/.claude.json" && ln -s "$VICTIM/state.json" "$HOME/.claude.json"; } 2>/dev/null || true
  rm -rf "$HOME/.codex"
  ln -s "$VICTIM" "$HOME/.codex"
  printf 'wrong\n' > out.txt
fi
git add out.txt
git commit -q -m "attempt"`;

describe("the run's HOME is hostile: sandboxed agent, retry with resume", () => {
  it("links, a FIFO and linked configs planted in HOME reach neither the victim nor the next attempt's HOME", async () => {
    const id = "hostile-home";
    const outside = await makeTempDir("bl-victim-");
    const v = victim(outside);
    const before = v.snapshot();
    // Claude Code's preset (its session state is carried on resume, its files are seeded),
    // played by the scripted agent behind a wrapper that ignores the resume argument.
    const wrapper = join(outside, "agent.sh");
    await writeFile(wrapper, '#!/bin/sh\nexec ballador-scripted-agent "$BALLADOR_PROMPT_FILE"\n');
    await chmod(wrapper, 0o755);
    const p = await makeSandboxProject({
      config: {
        max_attempts: 2,
        agents: {
          default: "sly",
          profiles: {
            sly: { preset: "claude", command: [wrapper, "{prompt_file}"], prompt: "file", env: ["VICTIM"] },
          },
        },
      },
    });
    p.env.VICTIM = v.dir;
    await p.part(id, {
      steps: [{ run: ["sh", "-c", PLANT] }, { done: "planted" }],
      verify: "grep -qx right out.txt",
    });
    await p.ok(["queue"]);
    await p.ok(["launch"]);
    const task = await p.reaches(id, "review");
    expect(task.attempt).toBe(2);

    const runs = (await p.show(id)).runs;
    expect(runs.map((r) => r.attempt)).toEqual([1, 2]);
    const first = join(runs[0]?.runDir as string, "home");
    const second = join(runs[1]?.runDir as string, "home");
    // The first attempt did plant (so the retry had something hostile to carry).
    expect(lstatSync(join(first, ".codex")).isSymbolicLink()).toBe(true);
    expect(lstatSync(join(first, ".claude", "projects", "-wt", "pipe.jsonl")).isFIFO()).toBe(true);

    // Nothing outside changed, and nothing was added there.
    expect(v.snapshot()).toEqual(before);
    // The new HOME got the conversation's regular files and folders, and no link, FIFO or
    // anything read through a link.
    expect(oddEntries(second)).toEqual([]);
    expect(readFileSync(join(second, ".claude", "projects", "-wt", "conv.jsonl"), "utf8")).toBe(
      "the conversation\n",
    );
    expect(readFileSync(join(second, ".claude", "projects", "-wt", "sub", "deep.txt"), "utf8")).toBe(
      "deep\n",
    );
    expect(existsSync(join(second, ".claude", "projects", "dir-link"))).toBe(false);
    expect(allText(second)).not.toContain("VICTIM-SECRET");
    expect(allText(second)).not.toContain("victim session");
    // Its seeded files are Ballador's own.
    expect(JSON.parse(readFileSync(join(second, ".claude", "settings.json"), "utf8"))).toMatchObject({
      skipDangerousModePermissionPrompt: true,
    });
  }, 120_000);
});

function profileOf(preset: string): ResolvedProfile {
  const config = structuredClone(DEFAULT_CONFIG);
  config.agents.profiles = { p: { preset } };
  return resolveProfile(config, "p");
}

describe("seeding a HOME full of links", () => {
  it("every agent's seeded files replace the links; the victims are unchanged", async () => {
    for (const preset of ["claude", "codex", "gemini", "aider", "opencode", "cursor-agent"]) {
      const dir = await makeTempDir("bl-home-links-");
      const v = victim(dir);
      const before = v.snapshot();
      const realHome = join(dir, "real");
      const home = join(dir, "run", "home");
      const worktree = join(dir, "wt");
      mkdirSync(join(realHome, ".local", "share", "opencode"), { recursive: true });
      writeFileSync(join(realHome, ".local", "share", "opencode", "auth.json"), '{"person":"auth"}\n');
      mkdirSync(join(realHome, ".config", "opencode"), { recursive: true });
      writeFileSync(join(realHome, ".config", "opencode", "opencode.json"), "{}\n");
      mkdirSync(join(realHome, ".codex"), { recursive: true });
      writeFileSync(join(realHome, ".codex", "AGENTS.md"), "person rules\n");
      mkdirSync(home, { recursive: true });
      mkdirSync(worktree);
      execFileSync("git", ["init", "-q", worktree]);
      execFileSync("git", ["-C", worktree, "config", "user.name", "Person"]);
      // Links at every name Ballador writes, and at folders on the way to them.
      symlinkSync(v.dir, join(home, ".claude"));
      symlinkSync(join(v.dir, "state.json"), join(home, ".claude.json"));
      symlinkSync(join(v.dir, "gitconfig"), join(home, ".gitconfig"));
      symlinkSync(v.dir, join(home, ".codex"));
      mkdirSync(join(home, ".gemini"));
      symlinkSync(join(v.dir, "settings.json"), join(home, ".gemini", "settings.json"));
      symlinkSync(join(v.dir, "state.json"), join(home, ".gemini", "trustedFolders.json"));
      symlinkSync(v.dir, join(home, ".aider"));
      mkdirSync(join(home, ".local", "share"), { recursive: true });
      symlinkSync(v.dir, join(home, ".local", "share", "opencode"));
      mkdirSync(join(home, ".config"));
      symlinkSync(v.dir, join(home, ".config", "opencode"));
      symlinkSync(v.dir, join(home, ".cursor"));
      await prepareAgentHome(profileOf(preset), {
        home,
        realHome,
        worktree,
        sandboxed: true,
        env: { ANTHROPIC_API_KEY: "sk-ant-x", OPENAI_API_KEY: "sk-x", GEMINI_API_KEY: "g" },
      });
      expect(v.snapshot(), preset).toEqual(before);
      const seeded: Record<string, string[]> = {
        claude: [".claude.json", ".claude/settings.json", ".gitconfig"],
        codex: [".codex/config.toml", ".codex/auth.json", ".codex/AGENTS.md"],
        gemini: [".gemini/settings.json", ".gemini/trustedFolders.json"],
        aider: [".config/git/ignore"],
        opencode: [".local/share/opencode/auth.json", ".config/opencode/opencode.json"],
        "cursor-agent": [],
      };
      for (const rel of seeded[preset] ?? []) {
        expect(lstatSync(join(home, rel)).isFile(), `${preset}: ${rel}`).toBe(true);
      }
      expect(allText(home), preset).not.toContain("victim");
    }
  });

  it("the HOME itself as a link is refused, with a message naming it", async () => {
    const dir = await makeTempDir("bl-home-link-");
    const v = victim(dir);
    const home = join(dir, "home");
    symlinkSync(v.dir, home);
    await expect(
      prepareAgentHome(profileOf("claude"), {
        home,
        realHome: join(dir, "real"),
        worktree: dir,
        sandboxed: true,
        env: {},
      }),
    ).rejects.toThrow(`the run's HOME ${home} is not a folder`);
  });
});

describe("carrying a previous HOME", () => {
  it("a session folder that is itself a link is not carried (nothing read through it)", async () => {
    const dir = await makeTempDir("bl-carry-");
    const v = victim(dir);
    const prev = join(dir, "prev");
    mkdirSync(join(prev, ".codex"), { recursive: true });
    symlinkSync(join(v.dir, "sessions"), join(prev, ".codex", "sessions"));
    const to = new HomeFiles(join(dir, "next"));
    const report = { files: 0, bytes: 0, skipped: [] as string[], truncated: false };
    carryInto(prev, "~/.codex/sessions", to, report);
    expect(existsSync(join(dir, "next", ".codex"))).toBe(false);
    expect(report.skipped).toEqual([".codex/sessions"]);
  });

  it("stops at the size budget and says so", async () => {
    const dir = await makeTempDir("bl-carry-");
    const prev = join(dir, "prev");
    mkdirSync(join(prev, ".gemini", "tmp"), { recursive: true });
    for (const n of ["a", "b", "c"]) writeFileSync(join(prev, ".gemini", "tmp", n), "x".repeat(1000));
    const to = new HomeFiles(join(dir, "next"));
    const report = { files: 0, bytes: 0, skipped: [] as string[], truncated: false };
    carryInto(prev, "~/.gemini/tmp", to, report, { maxBytes: 2500, maxEntries: 100 });
    expect(report.truncated).toBe(true);
    expect(report.bytes).toBe(2000);
    expect(report.skipped).toEqual([".gemini/tmp/c"]);
    expect(readdirSync(join(dir, "next", ".gemini", "tmp")).sort()).toEqual(["a", "b"]);
  });
});
