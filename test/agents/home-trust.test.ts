/**
 * A run's HOME is the agent's: host-side code that seeds it or carries it into the next
 * attempt must never follow a link the agent planted there, nor copy a FIFO, socket or device.
 * Here through the real executable: a hostile scripted agent, sandboxed, whose failed attempt
 * is retried with resume. test/adapters/agent-home-trust.test.ts seeds and carries HOMEs
 * already full of links.
 */
import { existsSync, lstatSync, readFileSync } from "node:fs";
import { chmod, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { cleanupTempDirs, makeTempDir } from "../helpers/cli.js";
import { cleanupSandboxTests, makeSandboxProject } from "../helpers/sandbox.js";
import { allText, oddEntries, victim } from "../helpers/victim.js";

afterEach(async () => {
  await cleanupSandboxTests();
  await cleanupTempDirs();
});

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
