/**
 * Masked secrets of a run on a runner (issue 32, spec 0013): the value stays home. Home's relay
 * runs the injecting proxy; the runner's proxy sends the secret's host through an SSH tunnel to
 * it. A hostile scripted agent on the runner (a network namespace with its own sshd and Unix
 * user) tries to get the value: from its environment, every process it can see, the tunnel's
 * socket, a response that echoes the header, a file and a commit. Then every file the runner
 * user owns on this machine, home's store, run folders and repository are searched for it, and
 * a host the runner's sandbox refused is recorded at home, where `sandbox denials` and the brief
 * read it.
 */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { FILE_TOKEN, remoteSecretProject, VARIABLE_AND_FILE } from "../helpers/remote-secret-project.js";
import { HAVE_RUNNER_HOSTS } from "../helpers/runner-hosts.js";
import { filesHolding, filesOwnedBy, procValueHashes } from "../helpers/runner-leaks.js";
import { useRunnerHosts } from "../helpers/runner-project.js";
import type { Step } from "../helpers/runtime.js";
import {
  cleanupSandboxTests,
  expectInNoFile,
  filesContaining,
  leakPlaces,
  sessionLog,
  startHttpsHost,
  uniqueValue,
} from "../helpers/sandbox.js";

const sha = (v: string) => createHash("sha256").update(v).digest("hex");

/**
 * Python on the runner, inside the sandbox: connects straight to each tunnel socket it finds
 * under the runner's root and asks for the secret's host through it, printing what comes back.
 */
function tunnelAttack(root: string, port: number): string {
  const py = [
    "import glob, socket, ssl, sys, os",
    `for path in glob.glob(${JSON.stringify(`${root}/tunnel-*.sock`)}):`,
    "    print('socket', path)",
    "    try:",
    "        s = socket.socket(socket.AF_UNIX); s.settimeout(15); s.connect(path)",
    `        s.sendall(b'CONNECT 127.0.0.1:${port} HTTP/1.1\\r\\n\\r\\n'); print(s.recv(4096))`,
    "        c = ssl._create_unverified_context().wrap_socket(s, server_hostname='127.0.0.1')",
    `        c.sendall(('GET /tunnel HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\nAuthorization: Bearer ' + os.environ['API_TOKEN'] + '\\r\\nConnection: close\\r\\n\\r\\n').encode())`,
    "        print(c.recv(65536))",
    "    except Exception as e:",
    "        print('refused', type(e).__name__, e)",
  ].join("\n");
  const b64 = Buffer.from(py).toString("base64");
  return `python3 -c "$(printf %s ${b64} | base64 -d)" > tunnel-attack.txt 2>&1; true`;
}

describe.skipIf(!HAVE_RUNNER_HOSTS)("masked secrets of a remote run (spec 0013)", () => {
  const hosts = useRunnerHosts([{ name: "r1" }], cleanupSandboxTests);

  it("the agent on the runner holds a stand-in, the secret's host gets the value from home, and the value is on no disk of the runner", async () => {
    const h = hosts.hosts[0]!;
    const real = uniqueValue("tok-");
    const seen: Array<{ path: string; authorization: string }> = [];
    // The secret's host, at home: it echoes the Authorization it got (the proxy must hide it).
    const tls = await startHttpsHost(({ req, url }, res) => {
      seen.push({ path: url, authorization: req.headers.authorization ?? "" });
      res.writeHead(200, { "content-type": "text/plain" });
      res.end(`you sent: ${req.headers.authorization ?? ""}\n`);
    });
    const realFile = uniqueValue("file-tok-");
    const p = await remoteSecretProject(hosts, VARIABLE_AND_FILE);
    const fileToken = FILE_TOKEN;
    const steps: Step[] = [
      { run: `grep -q '"token": *"fake_value_' "$HOME/.config/tool/token.json"` },
      {
        run: `curl -sS --fail --max-time 30 -H "Authorization: Bearer $(${fileToken})" 'https://127.0.0.1:${tls.port}/file-token' > /dev/null`,
      },
      { run: 'case "$API_TOKEN" in fake_value_*) ;; *) exit 1 ;; esac' },
      { run: `test "$(printf %s "$API_TOKEN" | sha256sum | cut -d' ' -f1)" != ${sha(real)}` },
      // No process the agent can see holds the value: it was never on the runner.
      { run: `! { ${procValueHashes}; } | grep -q ${sha(real)}` },
      // Through the runner's proxy and the tunnel to home's: the answer comes back masked.
      {
        run: `curl -sS --fail --max-time 30 -H "Authorization: Bearer $API_TOKEN" 'https://127.0.0.1:${tls.port}/secret-host' > echo.txt`,
      },
      // The tunnel's socket, dialled directly.
      { run: tunnelAttack(`${h.home}/ballador`, tls.port) },
      // A host the allowlist does not name: refused on the runner, recorded at home.
      { run: "curl -sS --max-time 20 https://not-allowed.example/ > /dev/null 2>&1; true" },
      { run: 'printf "%s\\n" "$API_TOKEN" > leaked.txt && env > env-dump.txt' },
      { commit: "leak attempt" },
      { done: "tried" },
    ];
    await p.part("leak", { steps });
    await p.ok(["queue"]);
    const launched = await p.run(["launch", "leak", "--on", "r1"], {
      env: { API_TOKEN: real, TOKEN_JSON: `{"token": "${realFile}"}`, NODE_EXTRA_CA_CERTS: tls.caFile },
    });
    expect(launched.code, launched.stdout + launched.stderr).toBe(0);
    const t = await p.waitState("leak", ["review", "failed"], 180_000);
    const echo = await p.git(["show", "ballador/leak:echo.txt"]).catch(() => "");
    expect(t.state, `${t.reason}\n${await sessionLog(p, "leak")}\n${echo}`).toBe("review");

    // The secret's host got the real value, put in at home.
    expect(seen.find((s) => s.path === "/secret-host")?.authorization).toBe(`Bearer ${real}`);
    expect(seen.find((s) => s.path === "/file-token")?.authorization).toBe(`Bearer ${realFile}`);
    // What the agent read back holds the stand-in only.
    expect(echo).toMatch(/^you sent: Bearer fake_value_/);
    expect(echo).not.toContain(real);
    const attack = await p.git(["show", "ballador/leak:tunnel-attack.txt"]);
    expect(attack, attack).toContain("socket ");
    // Refused inside the sandbox (its seccomp filter allows no Unix socket); had it connected,
    // home's proxy would have answered with the stand-in echoed, as through the runner's proxy.
    expect(attack).toMatch(/refused|you sent: Bearer fake_value_/);
    expect(attack).not.toContain(real);

    // Nothing on the runner's disk holds it: every file its user owns, its home included.
    const owned = filesOwnedBy(h.user);
    expect(owned.some((f) => f.startsWith(h.home))).toBe(true);
    expect(filesHolding(owned, [real, realFile])).toEqual([]);
    // Nor at home: store, run folders, worktrees, repository; the branch holds the stand-in.
    await expectInNoFile(real, leakPlaces(p), "the real value");
    await expectInNoFile(realFile, leakPlaces(p), "the file's real token");
    const history = await p.git(["log", "-p", "--all"]);
    expect(history).not.toContain(real);
    expect(history).not.toContain(realFile);

    // Home's per-run CA key (its proxy's, at home only) is gone with the relay.
    expect(await filesContaining(await p.runDir("leak"), "PRIVATE KEY")).toEqual([]);
    // The host the runner's sandbox refused is recorded at home.
    const report = await p.json<{ runs: Array<{ denials: Array<{ host: string }> }> }>([
      "sandbox",
      "denials",
      "leak",
    ]);
    expect(report.runs.flatMap((r) => r.denials).map((d) => d.host)).toContain("not-allowed.example");
    const review = await p.json<{ markdown: string }>(["review", "leak"]);
    expect(review.markdown).toContain("not-allowed.example");
    expect(review.markdown).not.toContain(real);
  }, 300_000);

  it("refuses a profile that passes a secret's value, naming the secret and the fix, and claims nothing", async () => {
    const p = await remoteSecretProject(hosts, { PASS_TOKEN: { env: "PASS_TOKEN", mode: "pass" } });
    await p.part("passed", { steps: [{ done: "never" }] });
    await p.ok(["queue"]);
    const r = await p.run(["launch", "passed", "--on", "r1"], { env: { PASS_TOKEN: uniqueValue("p-") } });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("passes PASS_TOKEN to the agent as it is");
    expect(r.stderr).toContain("--on local");
    expect((await p.task("passed")).state).toBe("ready");
  }, 120_000);
});
