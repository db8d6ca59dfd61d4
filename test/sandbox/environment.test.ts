/**
 * Default-deny environment and per-profile secrets. The launcher's environment holds a cloud
 * credential and an unrelated secret; a `deployer` profile names the credential (and one secret
 * from a file, one from a command), a `plain` profile names nothing. Agents check what they see
 * by hash, so no secret value is ever written into a part, a prompt or the store by the test;
 * then every file Ballador wrote is searched for the values.
 */
import { createHash } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { commitAndDone, type Step } from "../helpers/runtime.js";
import {
  agentSteps,
  cleanupSandboxTests,
  filesContaining,
  makeSandboxProject,
  sessionLog,
  uniqueValue,
} from "../helpers/sandbox.js";

afterEach(cleanupSandboxTests);

const sha = (v: string) => createHash("sha256").update(v).digest("hex");
/** A shell test that $name holds exactly `value`, written with the value's hash only. */
const holds = (name: string, value: string): Step => ({
  run: `test "$(printf %s "\${${name}-}" | sha256sum | cut -d' ' -f1)" = ${sha(value)}`,
});
const unset = (name: string): Step => ({ run: `test -z "\${${name}+set}"` });

describe("sandbox: environment and secrets", () => {
  it("only the profile that names a secret sees it; secrets from env, file and command; no value is written anywhere", async () => {
    const aws = uniqueValue("AKIA");
    const foo = uniqueValue("foo-");
    const fromFile = uniqueValue("file-");
    const fromCommand = uniqueValue("cmd-");
    const p = await makeSandboxProject({
      config: {
        agents: {
          default: "plain",
          profiles: {
            plain: { preset: "scripted" },
            deployer: {
              preset: "scripted",
              secrets: {
                AWS_ACCESS_KEY_ID: { env: "AWS_ACCESS_KEY_ID" },
                FILE_TOKEN: { file: "~/.aws/ballador-token" },
                // Like a password manager's CLI: runs on the host, as the person.
                CMD_TOKEN: { command: ["sh", "-c", 'cat "$HOME/.vault/cmd-token"'] },
              },
            },
          },
        },
      },
    });
    await mkdir(join(p.home, ".vault"));
    await writeFile(join(p.home, ".vault", "cmd-token"), `${fromCommand}\n`);
    await mkdir(join(p.home, ".aws"));
    await writeFile(join(p.home, ".aws", "ballador-token"), `${fromFile}\n`);

    await p.part("deploy", {
      agent: "deployer",
      // Ballador's own verification, like hooks, runs without the profile's secrets. (The gate
      // in `ballador done` runs in the agent's process, with the agent's environment.)
      verify: `[ "$(pwd -P)" = "$BALLADOR_WORKTREE" ] || { test -z "\${AWS_ACCESS_KEY_ID+set}" && test -z "\${FOO_SECRET+set}"; }`,
      steps: [
        holds("AWS_ACCESS_KEY_ID", aws),
        holds("FILE_TOKEN", fromFile),
        holds("CMD_TOKEN", fromCommand),
        unset("FOO_SECRET"),
        unset("AWS_SECRET_ACCESS_KEY"),
        // The minimal base is there: PATH, HOME (the run's own), TERM, LANG, the proxy, the run.
        { run: 'test -n "$PATH" && test -n "$TERM" && test -n "$LANG" && test -n "$HTTP_PROXY"' },
        { run: `test "$HOME" != '${p.home}' && test -n "$BALLADOR_TASK_ID" && test -n "$BALLADOR_WORKTREE"` },
        ...commitAndDone("deployed.txt", "deployed\n", { commit: "deploy", done: "deployed" }),
      ],
    });
    await p.part("other", {
      agent: "plain",
      steps: [
        unset("AWS_ACCESS_KEY_ID"),
        unset("FILE_TOKEN"),
        unset("CMD_TOKEN"),
        unset("FOO_SECRET"),
        // Nor through the file the deployer's secret comes from (~/.aws is denied by default).
        { read: join(p.home, ".aws", "ballador-token"), expect_fail: true },
        { done: "nothing secret here" },
      ],
    });
    await p.ok(["queue"]);
    const launched = await p.run(["launch"], {
      env: { AWS_ACCESS_KEY_ID: aws, FOO_SECRET: foo, AWS_SECRET_ACCESS_KEY: foo },
    });
    expect(launched.code, launched.stdout + launched.stderr).toBe(0);
    const d = await p.waitState("deploy", ["review", "failed"]);
    const o = await p.waitState("other", ["review", "failed"]);
    expect(d.state, `${d.reason}\n${await sessionLog(p, "deploy")}`).toBe("review");
    expect(o.state, await sessionLog(p, "other")).toBe("review");
    expect((await agentSteps(p, "deploy")).every((s) => s.ok)).toBe(true);
    expect((await agentSteps(p, "other")).every((s) => s.ok)).toBe(true);

    // No value in the store, run folders (run.json, prompt.md, session.log, launch.log,
    // transcripts), the worktrees, the repository or the branch.
    const stateDir = join(p.dir, ".ballador", "state");
    for (const value of [aws, foo, fromFile, fromCommand]) {
      for (const dir of [stateDir, p.worktreeRoot, p.dir]) {
        expect(await filesContaining(dir, value), `${value} in ${dir}`).toEqual([]);
      }
    }
    expect(await p.git(["log", "-p", "--all"])).not.toContain(aws);
  });

  it("a secret that cannot be resolved fails the run naming the variable and source, never a value", async () => {
    const p = await makeSandboxProject({
      config: {
        agents: {
          default: "deployer",
          profiles: {
            deployer: { preset: "scripted", secrets: { AWS_ACCESS_KEY_ID: { env: "AWS_ACCESS_KEY_ID" } } },
          },
        },
      },
    });
    await p.part("nokey", { steps: [{ done: "never" }] });
    await p.ok(["queue"]);
    const launched = await p.run(["launch"], { env: { AWS_ACCESS_KEY_ID: undefined } });
    expect(launched.code, launched.stdout + launched.stderr).toBe(0);
    const t = await p.waitState("nokey", ["review", "failed"]);
    expect(t.state).toBe("failed");
    expect(t.reason).toContain(`the host variable AWS_ACCESS_KEY_ID is not set`);
  });
});
