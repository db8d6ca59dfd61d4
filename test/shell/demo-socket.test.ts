/**
 * `ballador demo` removes what it made, its tmux socket file included (tmux leaves the file
 * behind when its server stops), and only that: another socket in the same folder stays.
 */
import { existsSync, readdirSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { cleanEnv, runCli, runProgram } from "../helpers/cli.js";

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

describe("ballador demo", () => {
  it("leaves no tmux socket file of its own behind; a socket it did not make stays", async () => {
    const tmp = await mkdtemp(join(tmpdir(), "ballador-demo-socket-"));
    dirs.push(tmp);
    // tmux's socket folder, here and nowhere else: $TMUX_TMPDIR/tmux-UID.
    const tmuxTmp = join(tmp, "tmux");
    await mkdir(tmuxTmp);
    await mkdir(join(tmp, "home"));
    const env = cleanEnv(join(tmp, "xdg"), { TMUX_TMPDIR: tmuxTmp, HOME: join(tmp, "home") });
    const socketDir = join(tmuxTmp, `tmux-${process.getuid?.() ?? 0}`);
    // Someone else's server on this socket folder, stopped: its file must survive the demo.
    const other = "someone-else";
    await runProgram("tmux", ["-L", other, "new-session", "-d", "-s", "x", "sleep 30"], { cwd: tmp, env });
    await runProgram("tmux", ["-L", other, "kill-server"], { cwd: tmp, env });
    expect(readdirSync(socketDir)).toEqual([other]);

    const r = await runCli(["demo", "--json", "--dir", join(tmp, "demo")], {
      cwd: tmp,
      env,
      timeoutMs: 180_000,
    });
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true });
    expect(existsSync(join(tmp, "demo", "greeter"))).toBe(false);
    expect(readdirSync(socketDir)).toEqual([other]);
  }, 200_000);
});
