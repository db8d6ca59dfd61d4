/**
 * Shared SSH connections (spec 0013): the folder of their sockets is private or not used at
 * all, and git's ssh shares a connection only with the remote it was made for.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { gitSshDestination, gitSshEnv, shareDir, sshArgv } from "../../src/adapters/ssh/index.js";

const made: string[] = [];
afterEach(() => {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), "bl-share-"));
  made.push(d);
  return d;
}

const controlPath = (argv: string): string | undefined => /ControlPath=(\S+)/.exec(argv)?.[1];

describe("shared SSH connections", () => {
  it("makes its folder 0700 and shares through it", () => {
    const dir = join(tmp(), "ssh");
    expect(shareDir(dir, {})).toBe(dir);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const argv = sshArgv("r1", "true", {}, dir).join(" ");
    expect(argv).toContain("ControlMaster=auto");
    expect(controlPath(argv)?.startsWith(`${dir}/`)).toBe(true);
  });

  it("shares nothing through a folder others can read, a link, a path too long for a socket, or when switched off", () => {
    const open = join(tmp(), "open");
    mkdirSync(open);
    chmodSync(open, 0o755);
    expect(shareDir(open, {})).toBeNull();
    const link = join(tmp(), "link");
    const real = join(tmp(), "real");
    mkdirSync(real, { mode: 0o700 });
    symlinkSync(real, link);
    expect(shareDir(link, {})).toBeNull();
    expect(shareDir(join(tmp(), "x".repeat(80)), {})).toBeNull();
    expect(shareDir(join(tmp(), "100%"), {})).toBeNull();
    expect(shareDir(join(tmp(), "ssh"), { BALLADOR_SSH_SHARE: "0" })).toBeNull();
    expect(sshArgv("r1", "true", {}, null).join(" ")).not.toContain("ControlPath");
  });

  it("reads where git's ssh goes for a remote, and shares only per destination", () => {
    expect(gitSshDestination("ssh://git@10.0.0.1:2222/srv/remote.git")).toEqual({
      target: "git@10.0.0.1",
      port: "2222",
    });
    expect(gitSshDestination("ssh://host/r.git")).toEqual({ target: "host", port: null });
    expect(gitSshDestination("git@host:team/r.git")).toEqual({ target: "git@host", port: null });
    expect(gitSshDestination("/srv/remote.git")).toBeNull();
    expect(gitSshDestination("https://host/r.git")).toBeNull();
    const dir = shareDir(join(tmp(), "ssh"), {}) as string;
    const env = { BALLADOR_SSH_CONFIG: "/etc/bl_ssh_config" };
    const a = gitSshEnv(env, { dir, remote: "ssh://git@a:2222/r.git" }).GIT_SSH_COMMAND ?? "";
    const a2 = gitSshEnv(env, { dir, remote: "ssh://git@a:2222/other.git" }).GIT_SSH_COMMAND ?? "";
    const b = gitSshEnv(env, { dir, remote: "ssh://git@b:2222/r.git" }).GIT_SSH_COMMAND ?? "";
    expect(controlPath(a)).toBeTruthy();
    expect(controlPath(a)).toBe(controlPath(a2));
    expect(controlPath(a)).not.toBe(controlPath(b));
    // The runner's connection and the remote's never share a socket.
    expect(controlPath(sshArgv("git@a", "true", env, dir).join(" "))).not.toBe(controlPath(a));
    // A local path: no ssh, nothing to share.
    expect(gitSshEnv(env, { dir, remote: "/srv/r.git" }).GIT_SSH_COMMAND).not.toContain("ControlPath");
    // A person's own GIT_SSH_COMMAND is theirs; with BALLADOR_SSH_CONFIG, Ballador's ssh is used.
    expect(gitSshEnv({ GIT_SSH_COMMAND: "my-ssh" }, { dir, remote: "ssh://a/r.git" })).toEqual({});
    expect(gitSshEnv({ ...env, GIT_SSH_COMMAND: "my-ssh" }).GIT_SSH_COMMAND).toContain("-F");
  });
});
