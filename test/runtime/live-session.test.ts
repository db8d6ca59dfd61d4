/**
 * What Ballador types into a live interactive session (issue 31): a refused `done` goes back to
 * the agent at once, as a person's words would (bounded, escaped), so its next try needs no
 * refused_idle wait; Ballador's own status lines never reach the agent's terminal: they go to
 * the session's status line and its log.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runProgram } from "../helpers/cli.js";
import { cleanupProjects, commitAndDone, gate, makeProject, waitFor } from "../helpers/runtime.js";
import { gitCommit, makeVerifyProject, writePart } from "../helpers/verification.js";

afterEach(cleanupProjects);

describe("a live interactive session", () => {
  it("a refused done is typed into the agent's input at once: its next try comes within seconds, not after refused_idle", async () => {
    const p = await makeVerifyProject({
      config: { max_attempts: 2, refused_idle: "10m", idle_timeout: "10m" },
    });
    await writePart(p, "typo", {
      steps: [
        // Hostile output: the verify failure echoes a title-setting escape the agent planted.
        { run: `printf 'bad\\033]0;pwned\\007\\n' > app.txt; ${gitCommit("try")}` },
        { ballador: ["done", "--summary", "first try"], allow_fail: true },
        // An interactive agent that ended its turn: it goes on only when something is typed.
        {
          run: `read line < /dev/tty; printf '%s\\n' "$line" > heard.txt; echo good > app.txt; ${gitCommit("fix")}`,
        },
        { ballador: ["done", "--summary", "fixed"] },
      ],
    });
    await p.ok(["queue"]);
    const started = Date.now();
    await p.ok(["launch", "typo"]);
    expect((await p.waitState("typo", ["review", "failed"], 150_000)).state).toBe("review");
    // The agent waits on its terminal for good and idle_timeout is 10m: well under that, with
    // slack for a loaded machine, means the refusal was typed into the session.
    expect(Date.now() - started).toBeLessThan(150_000);
    const shown = await p.show("typo");
    // The same attempt went on: no new attempt was needed.
    expect(shown.runs.map((r) => r.outcome)).toEqual(["done"]);
    const heard = await readFile(join(p.worktree("typo"), "heard.txt"), "utf8");
    expect(heard).toContain("ballador: your done was refused: ./verify.sh exited 1");
    expect(heard).toContain("VERIFY-FAIL: app.txt says 'bad");
    expect(heard).toContain("run ballador done again");
    expect(heard).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
    expect(heard.length).toBeLessThan(2100);
  }, 200_000);

  it("Ballador's status lines go to the session's status line and log, never into the agent's terminal", async () => {
    const p = await makeProject({ config: { idle_timeout: "10m" } });
    await p.part("quiet-tui", {
      steps: [
        { print: "AGENT-SCREEN-START" },
        { note: "chose the small parser" },
        gate(p, "screen-read"),
        ...commitAndDone("one.txt", "one\n", { commit: "one", done: { summary: "wrote one.txt" } }),
      ],
    });
    await p.ok(["queue"]);
    await p.ok(["launch", "quiet-tui"]);
    const tmux = (args: string[]) =>
      runProgram("tmux", ["-L", p.socket, ...args], { cwd: p.parent, env: p.env });
    // The note was taken in (Ballador said so): not on the agent's screen, on the status line.
    await waitFor(async () => {
      const notes = (await p.show("quiet-tui")).notes.map((n) => n.text);
      return notes.includes("chose the small parser") ? true : undefined;
    }, "the note to be recorded");
    await new Promise((r) => setTimeout(r, 1000));
    const screen = (await tmux(["capture-pane", "-p", "-t", "=bl-quiet-tui:"])).stdout;
    expect(screen).toContain("AGENT-SCREEN-START");
    // Nothing of Ballador's after the agent took the terminal.
    const after = screen.slice(screen.indexOf("AGENT-SCREEN-START"));
    expect(after).not.toContain("[ballador]");
    const status = await waitFor(async () => {
      const r = await tmux(["show-options", "-v", "-t", "=bl-quiet-tui:", "status-right"]);
      return r.stdout.includes("note recorded") ? r.stdout : undefined;
    }, "the status line to show the note");
    expect(status).toContain("chose the small parser");
    await p.open("screen-read");
    await p.reaches("quiet-tui", "review");
    const logs = await p.ok(["logs", "quiet-tui"]);
    expect(logs.stdout).toContain("[ballador] note recorded: chose the small parser");
    expect(logs.stdout).toContain("[ballador] agent reported done: wrote one.txt");
    expect(logs.stdout).toContain("AGENT-SCREEN-START");
  }, 90_000);
});
