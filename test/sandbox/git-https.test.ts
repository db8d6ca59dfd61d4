/**
 * git over HTTPS inside the sandbox with a masked token: a scripted agent runs `git ls-remote`
 * and `git clone` against a real git server (git http-backend behind HTTPS on 127.0.0.1, with a
 * CA of the test's own that only the host-side proxy trusts). git inside trusts the run's CA
 * (the runtime points GIT_SSL_CAINFO at its bundle), the request reaches the server with the real
 * token, and the token is nowhere the agent could read or write.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { type GitHttpsServer, startGitHttps } from "../helpers/git-https.js";
import {
  agentSteps,
  cleanupSandboxTests,
  filesContaining,
  makeSandboxProject,
  sessionLog,
  uniqueValue,
} from "../helpers/sandbox.js";
import { cleanupTls } from "../helpers/tls.js";

const exec = promisify(execFile);
let server: GitHttpsServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
  await cleanupSandboxTests();
  cleanupTls();
});

describe("sandbox: git over HTTPS with a masked token", () => {
  it("ls-remote and clone work holding the stand-in; the server gets the real token; it leaks nowhere", async () => {
    const token = uniqueValue("ghp_");
    server = await startGitHttps({ token, files: { "hello.txt": "hello over https\n" } });
    const url = `https://127.0.0.1:${server.port}/repo.git`;
    // The server is real and refuses what it should: on the host, with its CA, the token is
    // needed.
    const hostEnv = { ...process.env, GIT_SSL_CAINFO: server.caFile, GIT_TERMINAL_PROMPT: "0" };
    await expect(exec("git", ["ls-remote", url], { env: hostEnv })).rejects.toThrow(
      /could not read Username|401|Authentication/,
    );
    const direct = await exec(
      "git",
      ["-c", `http.extraHeader=Authorization: Bearer ${token}`, "ls-remote", url],
      {
        env: hostEnv,
      },
    );
    expect(direct.stdout).toContain("refs/heads/main");
    server.authorizations.length = 0;

    const p = await makeSandboxProject({
      allowHosts: ["127.0.0.1"],
      config: {
        agents: {
          default: "deployer",
          profiles: {
            deployer: {
              preset: "scripted",
              secrets: { GIT_TOKEN: { env: "GIT_TOKEN", hosts: ["127.0.0.1"] } },
            },
          },
        },
      },
    });
    const header = '-c http.extraHeader="Authorization: Bearer $GIT_TOKEN"';
    // The clone goes to the run's TMPDIR with git's own object store (the run's git variables
    // point objects at the task's store).
    const plainGit =
      "env -u GIT_OBJECT_DIRECTORY -u GIT_ALTERNATE_OBJECT_DIRECTORIES GIT_TERMINAL_PROMPT=0 git";
    await p.part("fetch", {
      steps: [
        { run: 'case "$GIT_TOKEN" in fake_value_*) ;; *) exit 1 ;; esac' },
        // The runtime points git at the run's trust bundle (its CA first).
        { run: 'grep -q "BEGIN CERTIFICATE" "$GIT_SSL_CAINFO"' },
        // git trusts the proxy's certificate through the run's CA: no -c http.sslVerify=false.
        { run: `${plainGit} ${header} ls-remote '${url}' | grep -q refs/heads/main` },
        {
          run: `${plainGit} ${header} clone -q '${url}' "$TMPDIR/clone" && grep -q 'hello over https' "$TMPDIR/clone/hello.txt"`,
        },
        // In the URL, git sends it as Basic (base64 of user:token): the proxy does not see the
        // stand-in there, so the server gets the stand-in's base64 and refuses.
        {
          run: `${plainGit} ls-remote "https://x:$GIT_TOKEN@127.0.0.1:${server.port}/repo.git"`,
          expect_fail: true,
        },
        { done: "fetched" },
      ],
    });
    await p.ok(["queue"]);
    await p.run(["launch"], { env: { GIT_TOKEN: token, NODE_EXTRA_CA_CERTS: server.caFile } });
    const t = await p.waitState("fetch", ["review", "failed"], 90_000);
    const steps = await agentSteps(p, "fetch").catch(() => []);
    expect(t.state, `${t.reason}\n${JSON.stringify(steps, null, 1)}\n${await sessionLog(p, "fetch")}`).toBe(
      "review",
    );
    expect(steps.every((s) => s.ok)).toBe(true);

    const bearer = server.authorizations.filter((a) => a.startsWith("Bearer "));
    // ls-remote (1 request) and clone (2: refs, then the pack) carried the real token.
    expect(bearer.length).toBeGreaterThanOrEqual(3);
    expect(new Set(bearer)).toEqual(new Set([`Bearer ${token}`]));
    const basic = server.authorizations
      .filter((a) => a.startsWith("Basic "))
      .map((a) => Buffer.from(a.slice(6), "base64").toString("utf8"));
    expect(basic.length).toBeGreaterThan(0);
    for (const b of basic) expect(b).toMatch(/^x:fake_value_/);

    for (const dir of [join(p.dir, ".ballador", "state"), p.worktreeRoot, p.dir, p.home]) {
      expect(await filesContaining(dir, token), `the token in ${dir}`).toEqual([]);
    }
  }, 150_000);
});
