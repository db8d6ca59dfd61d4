/**
 * `runners:` and `runners_remote:` (issue 32): defaults filled at load, and every bad value a
 * config error naming the file, the key and the fix (an SSH target that ssh would read as an
 * option, a root or remote URL with shell characters, a reserved or repeated name).
 */
import { writeFile } from "node:fs/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { cleanupTempDirs } from "../helpers/cli.js";
import { configDirs, problemsOf } from "./config-dirs.js";

let root: string;
let env: NodeJS.ProcessEnv;
let repoFile: string;
let globalFile: string;

beforeEach(async () => {
  ({ root, env, repoFile, globalFile } = await configDirs("bl-runners-config-"));
});
afterEach(cleanupTempDirs);

describe("runners in the config", () => {
  it("has none by default, and fills each runner's defaults", async () => {
    expect(loadConfig(root, env).config.runners).toEqual([]);
    expect(loadConfig(root, env).config.runners_remote).toBeNull();
    await writeFile(
      globalFile,
      [
        "runners:",
        "  - { name: build-box, ssh: dev@build.example }",
        "  - { name: gpu, ssh: gpu-alias, max_sessions: 12, root: /srv/ballador, trusted_verify: true, secrets_at: runner }",
        "runners_remote: ssh://git@build.example:2222/srv/app.git",
        "",
      ].join("\n"),
    );
    const { config } = loadConfig(root, env);
    expect(config.runners).toEqual([
      {
        name: "build-box",
        ssh: "dev@build.example",
        max_sessions: 4,
        root: "~/.ballador",
        trusted_verify: false,
        secrets_at: "home",
      },
      {
        name: "gpu",
        ssh: "gpu-alias",
        max_sessions: 12,
        root: "/srv/ballador",
        trusted_verify: true,
        secrets_at: "runner",
      },
    ]);
    expect(config.runners_remote).toBe("ssh://git@build.example:2222/srv/app.git");
  });

  it("accepts the SSH forms ssh takes: user@host, a Host alias, ssh://user@host:port; and scp-like remotes", async () => {
    await writeFile(
      repoFile,
      "runners:\n  - { name: a, ssh: box }\n  - { name: b, ssh: me@10.0.0.2 }\n  - { name: c, ssh: 'ssh://me@box:2200' }\nrunners_remote: git@box:team/app.git\n",
    );
    expect(loadConfig(root, env).config.runners?.map((r) => r.ssh)).toEqual([
      "box",
      "me@10.0.0.2",
      "ssh://me@box:2200",
    ]);
  });

  it("refuses a reserved name, a repeated name, a bad charset, an ssh option, a bad root and a bad remote, naming each key", async () => {
    await writeFile(
      repoFile,
      [
        "runners:",
        "  - { name: local, ssh: box }",
        "  - { name: Big Box, ssh: box }",
        "  - { name: twin, ssh: '-oProxyCommand=touch /tmp/x' }",
        "  - { name: twin, ssh: 'box; rm -rf ~' }",
        "  - { name: r5, ssh: box:22, root: '~/$(whoami)' }",
        "  - { name: r6, ssh: box, root: /srv/../etc, max_sessions: 0, color: red }",
        "runners_remote: '--upload-pack=evil'",
        "",
      ].join("\n"),
    );
    const problems = problemsOf(() => loadConfig(root, env));
    const byKey = Object.fromEntries(problems.map((p) => [p.key, p.message]));
    expect(problems.every((p) => p.file === repoFile)).toBe(true);
    expect(byKey["runners.0.name"]).toMatch(/"local" is reserved.*this machine.*choose another name/);
    expect(byKey["runners.1.name"]).toMatch(/"Big Box" is not a runner name: use a-z, 0-9, _ and -/);
    expect(byKey["runners.2.ssh"]).toMatch(
      /is not an SSH target: give user@host, a Host of your ~\/.ssh\/config/,
    );
    expect(byKey["runners.3.ssh"]).toMatch(/not an SSH target/);
    expect(byKey["runners.4.ssh"]).toMatch(/"box:22" is not an SSH target.*ssh:\/\/user@host:port/);
    expect(byKey["runners.4.root"]).toMatch(/is not a runner root: give an absolute path or ~\/\.\.\./);
    expect(byKey["runners.5.root"]).toMatch(/not a runner root/);
    expect(byKey["runners.5.max_sessions"]).toBeDefined();
    expect(byKey["runners.5.color"]).toMatch(/unknown key; known keys here: name, ssh, max_sessions, root/);
    expect(byKey.runners_remote).toMatch(/is not a git URL over SSH.*ssh:\/\/git@build-box/);
  });

  it("refuses two runners of one name, pointing at the second", async () => {
    await writeFile(globalFile, "runners:\n  - { name: twin, ssh: a }\n  - { name: twin, ssh: b }\n");
    const problems = problemsOf(() => loadConfig(root, env));
    expect(problems).toEqual([
      {
        file: globalFile,
        key: "runners.1.name",
        message: '"twin" names two runners; runner names are unique: rename or remove one',
      },
    ]);
  });
});
