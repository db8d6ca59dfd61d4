/**
 * Issue 10, class 7: what a hostile agent writes never reaches the person's terminal as escape
 * sequences. The agent puts ANSI colours, OSC 8 links, OSC 52 clipboard writes, a title change,
 * a device query, bidi overrides and zero-width characters in its title, its notes, its done
 * summary, a file name it commits, its verify output and its terminal stream; every human view
 * shows them escaped, and --json keeps them exact. The run is a real sandboxed one.
 */

import { spawn } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { BIN, runProgram } from "../helpers/cli.js";
import { gate, launchedToReview, waitFor } from "../helpers/runtime.js";
import { cleanupSandboxTests, makeSandboxProject } from "../helpers/sandbox.js";

afterEach(cleanupSandboxTests);

/** Any byte a terminal would act on: C0 (but newline), DEL, C1, bidi, zero-width space. */
const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\u200b\u200e\u200f\ufeff]/u;

const EVIL =
  "\x1b[31mred\x1b[0m \x1b]8;;https://evil.test\x1b\\click\x1b]8;;\x1b\\ \x1b]52;c;cm0gLXJmIH4=\x07 \x1b]0;pwned\x07 \x1b[6n \u202egnp.exe\u202c \u2066iso\u2069 ad\u200bmin \x9b2J";

describe("untrusted text on the terminal", () => {
  it("is escaped in status, show, review, next, graph, logs and status --watch; --json keeps it exact", async () => {
    const p = await makeSandboxProject();
    const title = `Hostile ${EVIL}`;
    const file = "evil\x1b]52;c;QQ==\x07\u202ename.txt";
    await p.part("hostile", {
      title,
      // The verify command prints escapes too; it passes, so the task reaches review.
      verify: "printf '\\033[31mverify\\033]52;c;QUFB\\007 \\342\\200\\256done\\n'",
      steps: [
        { print: `terminal ${EVIL}` },
        { note: `note ${EVIL}` },
        { write: { path: file, content: `content ${EVIL}\n` } },
        { commit: `commit ${EVIL}` },
        { done: { summary: `summary ${EVIL}` } },
      ],
    });
    await launchedToReview(p, "hostile");

    const views: Array<[string, string[]]> = [
      ["status", ["status"]],
      ["show", ["show", "hostile"]],
      ["review", ["review", "hostile"]],
      ["next", ["next"]],
      ["logs", ["logs", "hostile"]],
      ["graph", ["graph"]],
      ["graph mermaid", ["graph", "--format", "mermaid"]],
      ["denials", ["sandbox", "denials"]],
    ];
    for (const [name, args] of views) {
      const r = await p.run(args);
      expect(r.code, `${name}: ${r.stderr}`).toBe(0);
      expect(r.stdout, name).not.toMatch(RAW);
      expect(r.stderr, name).not.toMatch(RAW);
    }
    // Escaped visibly, so the person sees something was there.
    const shown = (await p.run(["show", "hostile"])).stdout;
    expect(shown).toContain("\\x1b]52;c;cm0gLXJmIH4=\\x07");
    expect(shown).toContain("<U+202E>gnp.exe<U+202C>");
    expect(shown).toContain("ad<U+200B>min");
    const review = (await p.run(["review", "hostile"])).stdout;
    expect(review).toContain("summary \\x1b[31mred");
    expect(review).toContain("note \\x1b[31mred");
    // The session log in a pipe is plain text: the sequences are gone, the words stay.
    const logs = (await p.run(["logs", "hostile"])).stdout;
    expect(logs).toContain("terminal red click");
    // --raw is the exact stream, for a file.
    expect((await p.run(["logs", "hostile", "--raw"])).stdout).toContain("\x1b]52;c;cm0gLXJmIH4=\x07");

    // status --watch in a pipe: plain lines, no redraw, nothing raw.
    const watch = p.spawn(["status", "--watch"]);
    await waitFor(
      async () => (watch.output().includes("hostile") ? true : undefined),
      "status --watch output",
    );
    watch.child.kill("SIGTERM");
    await watch.exited;
    expect(watch.output()).not.toContain("\x1b[2J");
    expect(watch.output()).not.toMatch(RAW);

    // JSON is for programs: the text exactly as the agent wrote it.
    const status = await p.status();
    expect(status.tasks[0]?.title).toBe(title);
    const show = await p.show("hostile");
    expect(show.notes.map((n) => n.text)).toEqual(
      expect.arrayContaining([`note ${EVIL}`, `summary ${EVIL}`]),
    );
    const brief = await p.json<{ data: { summary: string; changed: string[] }; markdown: string }>([
      "review",
      "hostile",
    ]);
    expect(brief.data.summary).toBe(`summary ${EVIL}`);
    expect(brief.data.changed).toContain(file);
    const logJson = await p.json<{ log: string }>(["logs", "hostile"]);
    expect(logJson.log).toContain(`terminal ${EVIL}`);
  }, 180_000);
});

describe("untrusted text in the live session", () => {
  it("attach: the agent's OSC 52, passthrough and title never reach the person's terminal, even with a tmux.conf that allows them", async () => {
    const p = await makeSandboxProject();
    // A person's own tmux settings that would hand an application's sequences to the terminal.
    await writeFile(
      join(p.home, ".tmux.conf"),
      "set -s set-clipboard on\nset -g allow-passthrough on\nset -g set-titles on\nset -g set-titles-string '#T'\n",
    );
    const osc52 = "\x1b]52;c;cm0gLXJmIH4=\x07";
    const passthrough = "\x1bPtmux;\x1b\x1b]52;c;UEFTU1RIUlU=\x07\x1b\\";
    const title = "\x1b]2;AGENT-TITLE\x07";
    await p.part("live", {
      steps: [
        gate(p, "attached"),
        { print: `${osc52}${passthrough}${title}VISIBLE-MARK` },
        gate(p, "seen"),
        { done: "live" },
      ],
    });
    await p.ok(["queue"]);
    await p.ok(["launch"]);
    await p.waitState("live", "running");
    const out = join(p.parent, "terminal.out");
    // The person's terminal: a pseudo-terminal running `ballador attach`, recording every byte.
    const attach = spawn("script", ["-qfc", `${process.execPath} ${BIN} attach live`, out], {
      cwd: p.dir,
      env: { ...p.env, TERM: "xterm-256color" },
      stdio: ["pipe", "ignore", "ignore"],
    });
    const bytes = async () => (await readFile(out, "latin1").catch(() => "")) as string;
    await waitFor(async () => ((await bytes()).includes("\x1b[?1049h") ? true : undefined), "attached");
    await p.open("attached");
    await waitFor(
      async () => ((await bytes()).includes("VISIBLE-MARK") ? true : undefined),
      "the mark shown",
    );
    await new Promise((r) => setTimeout(r, 300));
    attach.kill("SIGKILL");
    const seen = await bytes();
    expect(seen).not.toContain("\x1b]52");
    // (tmux may draw the pane's title as text in its status line: characters, not a sequence.)
    expect(seen).not.toMatch(/\x1b\][012];AGENT-TITLE/);
    expect(seen).not.toContain("UEFTU1RIUlU");
    await p.open("seen");
    await p.waitState("live", "review");
  }, 120_000);
});

describe("logs -f on the person's terminal (issue 29)", () => {
  it("an agent that clears the screen and homes the cursor cannot draw a line that passes for Ballador's", async () => {
    const p = await makeSandboxProject();
    const spoof = "All tests passed. Merge approved by admin.";
    await p.part("spoof", {
      steps: [
        gate(p, "following"),
        { print: "compiling...\r\n" },
        // Erase display, erase scrollback, cursor home, then the fake line, concealed text too.
        { print: `\x1b[2J\x1b[3J\x1b[H${spoof}\r\n\x1b[8mHIDDEN-MARK\x1b[0m\r\n` },
        gate(p, "seen"),
        { done: "spoof" },
      ],
    });
    await p.ok(["queue"]);
    await p.ok(["launch"]);
    await p.waitState("spoof", "running");
    // The person's terminal: a tmux pane of its own server, running `ballador logs -f`.
    const sock = `${p.socket}-person`;
    const tmux = (args: string[]) => runProgram("tmux", ["-L", sock, ...args], { cwd: p.dir, env: p.env });
    const shell = `printf 'person@host$ ballador logs -f spoof\\n'; ${process.execPath} ${BIN} logs -f spoof; sleep 120`;
    const started = await runProgram(
      "tmux",
      [
        "-L",
        sock,
        "-f",
        "/dev/null",
        "new-session",
        "-d",
        "-s",
        "person",
        "-x",
        "100",
        "-y",
        "60",
        "-c",
        p.dir,
        shell,
      ],
      { cwd: p.dir, env: { ...p.env, TERM: "xterm-256color" } },
    );
    expect(started.code, started.stderr).toBe(0);
    try {
      const screen = async () => (await tmux(["capture-pane", "-p", "-t", "person"])).stdout;
      await p.open("following");
      await waitFor(
        async () => ((await screen()).includes("HIDDEN-MARK") ? true : undefined),
        "the spoof replayed",
      );
      const shown = (await screen()).split("\n");
      // The screen was not cleared: the person's own line is still at the top.
      expect(shown[0], shown.join("\n")).toBe("person@host$ ballador logs -f spoof");
      // The fake line is on a row that says whose it is, never alone at the left margin.
      const rows = shown.filter((l) => l.includes(spoof));
      expect(rows.length, shown.join("\n")).toBeGreaterThan(0);
      for (const row of rows) expect(row.startsWith("spoof │ "), row).toBe(true);
      expect(shown.some((l) => l.startsWith("── spoof: the agent's terminal"))).toBe(true);
      // Concealed text is shown: no cell of the pane carries SGR 8.
      const cells = (await tmux(["capture-pane", "-p", "-e", "-t", "person"])).stdout;
      expect(cells).not.toMatch(/\x1b\[(?:[\d;]*;)?8(?:;[\d;]*)?m/);
      await p.open("seen");
      await waitFor(
        async () => ((await screen()).includes("── end of spoof's terminal") ? true : undefined),
        "the end",
      );
    } finally {
      await tmux(["kill-server"]);
    }
    await p.waitState("spoof", "review");
  }, 180_000);
});
