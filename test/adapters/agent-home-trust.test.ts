/**
 * A run's HOME is the agent's: the code that seeds it (prepareAgentHome) or carries it into the
 * next attempt (carryInto) must never follow a link the agent planted there, nor copy a FIFO,
 * socket or device. Here on a HOME already full of links; test/agents/home-trust.test.ts plants
 * them from a sandboxed agent and retries with resume.
 */
import { execFileSync } from "node:child_process";
import { existsSync, lstatSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { prepareAgentHome } from "../../src/adapters/agents/home.js";
import { carryInto, HomeFiles } from "../../src/adapters/hostile/home-files.js";
import { cleanupTempDirs, makeTempDir } from "../helpers/cli.js";
import { allText, victim } from "../helpers/victim.js";
import { profileOf } from "./home-setting.js";

afterEach(cleanupTempDirs);

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
