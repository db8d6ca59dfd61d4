/**
 * Needs you (issue 15): an agent waiting for a person shows in status, next and show with what
 * it asked (escaped), from its terminal (a question on screen, then quiet) or from its own hook
 * (`ballador hook`, as Claude Code's Notification and Stop hooks call it); after needs_you.nudge_after
 * Ballador types the unattended nudge into its terminal.
 */
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseJson, runProgram } from "../helpers/cli.js";
import {
  cleanupProjects,
  commitAndDone,
  gate,
  makeProject,
  type NeedsYou,
  waitFor,
} from "../helpers/runtime.js";

afterEach(cleanupProjects);

describe("needs you", () => {
  it("a scripted agent waiting at a prompt is seen from its terminal, shown escaped, and nudged until it goes on", async () => {
    const p = await makeProject({
      config: { needs_you: { quiet: "1s", nudge_after: "5s" }, idle_timeout: "10m" },
    });
    await p.part("asks", {
      steps: [
        // A title-setting escape before the question: it must never reach the person's terminal.
        {
          run: "printf '\\033]0;pwned\\007\\033[31mOverwrite the config? [y/N] ' > /dev/tty; read answer < /dev/tty; printf '%s\\n' \"$answer\" > answer.txt",
        },
        { commit: "answer" },
        { done: { summary: "went on" } },
      ],
    });
    await p.ok(["queue"]);
    await p.ok(["launch", "asks"]);

    const asks = await waitFor(async () => {
      const t = (await p.status()).tasks.find((x) => x.id === "asks") as
        | { needsYou?: NeedsYou | null }
        | undefined;
      return t?.needsYou ?? undefined;
    }, "asks to need you");
    expect(asks.asked).toContain("Overwrite the config? [y/N]");
    expect(asks.asked).not.toContain("\x1b");
    expect((await p.task("asks")).state).toBe("running");
    const next = parseJson<{ needsYou: Array<{ id: string; asked: string }> }>(
      await p.ok(["next", "--json"]),
    );
    expect(next.needsYou.map((t) => t.id)).toEqual(["asks"]);
    const nextText = (await p.ok(["next"])).stdout;
    expect(nextText).toContain("Needs you:");
    expect(nextText).toContain("asks: Overwrite the config? [y/N]");
    const statusText = (await p.ok(["status"])).stdout;
    expect(statusText).toContain("needs you");
    const showText = (await p.ok(["show", "asks"])).stdout;
    expect(showText).toContain("needs you since");
    for (const out of [nextText, statusText, showText]) expect(out).not.toContain("\x1b");

    // Nobody answers: the nudge is typed into the terminal; the agent reads it and goes on.
    await p.reaches("asks", "review");
    const answer = await readFile(join(p.worktree("asks"), "answer.txt"), "utf8");
    expect(answer).toContain("Nobody is watching this session");
    const shown = await p.show("asks");
    expect(shown.notes.map((n) => n.text)).toContain("needs you: nudged (nobody answered)");
    const run = shown.runs[0] as unknown as { nudgedAt: string | null };
    expect(run.nudgedAt).not.toBeNull();
    expect(shown.runs).toHaveLength(1);
  }, 120_000);

  it("the agent's own hook says it waits (stdout silent, text escaped) until its next hook says it moves", async () => {
    const p = await makeProject({
      config: { needs_you: { quiet: "1s", nudge_after: "0s" }, idle_timeout: "10m" },
    });
    const notification = JSON.stringify({
      hook_event_name: "Notification",
      message: "Claude needs your permission to use Bash\u001b]52;c;cHduZWQ=\u0007",
    });
    await p.part("hooked", {
      steps: [
        { write: { path: "notification.json", content: notification } },
        { run: "ballador hook < notification.json > hook-stdout.txt" },
        gate(p, "answered"),
        { run: 'echo \'{"hook_event_name":"UserPromptSubmit","prompt":"go on"}\' | ballador hook' },
        gate(p, "finish"),
        { run: "rm notification.json hook-stdout.txt" },
        ...commitAndDone("done.txt", "done\n", { commit: "done", done: { summary: "went on" } }),
      ],
    });
    await p.ok(["queue"]);
    await p.ok(["launch", "hooked"]);
    const asks = await waitFor(async () => {
      const t = (await p.status()).tasks.find((x) => x.id === "hooked") as
        | { needsYou?: NeedsYou | null }
        | undefined;
      return t?.needsYou ?? undefined;
    }, "hooked to need you");
    expect(asks.asked).toContain("Claude needs your permission to use Bash");
    expect(await readFile(join(p.worktree("hooked"), "hook-stdout.txt"), "utf8")).toBe("");
    const statusText = (await p.ok(["status"])).stdout;
    expect(statusText).toContain("asks: Claude needs your permission to use Bash");
    expect(statusText).not.toContain("\x1b]52");

    await p.open("answered");
    await waitFor(async () => {
      const t = (await p.status()).tasks.find((x) => x.id === "hooked") as
        | { needsYou?: NeedsYou | null }
        | undefined;
      return t && t.needsYou === null ? true : undefined;
    }, "hooked to move again");
    expect((await p.task("hooked")).state).toBe("running");
    await p.open("finish");
    await p.reaches("hooked", "review");
    // No nudge with nudge_after 0s.
    expect((await p.show("hooked")).notes.map((n) => n.text)).not.toContain(
      "needs you: nudged (nobody answered)",
    );
  }, 120_000);

  it("reads a quiet agent's screen once while nothing new appears on it, not at every poll", async () => {
    const p = await makeProject({
      config: { needs_you: { quiet: "1s", nudge_after: "10m" }, idle_timeout: "10m" },
    });
    // A tmux that notes each screen read, first on the PATH the supervisor inherits.
    const bin = join(p.parent, "logging-bin");
    const log = join(p.parent, "captures.log");
    await mkdir(bin);
    const real = (
      await runProgram("sh", ["-c", "command -v tmux"], { cwd: p.parent, env: p.env })
    ).stdout.trim();
    await writeFile(
      join(bin, "tmux"),
      `#!/bin/sh\ncase " $* " in *" capture-pane "*) echo read >> '${log}' ;; esac\nexec '${real}' "$@"\n`,
    );
    await chmod(join(bin, "tmux"), 0o755);
    p.env.PATH = `${bin}:${p.env.PATH}`;
    await p.part("quiet", {
      steps: [
        { run: "sleep 8" },
        ...commitAndDone("quiet.txt", "quiet\n", { commit: "quiet", done: "went on" }),
      ],
    });
    await p.ok(["queue"]);
    await p.ok(["launch", "quiet"]);
    await p.reaches("quiet", "review");
    const reads = (await readFile(log, "utf8").catch(() => "")).split("\n").filter(Boolean).length;
    // Quiet past needs_you.quiet, so the screen was read; about 28 reads at one per poll before.
    expect(reads).toBeGreaterThanOrEqual(1);
    expect(reads).toBeLessThanOrEqual(3);
  }, 120_000);
});
