/**
 * Masked secrets: the agent holds a per-run stand-in, and the sandbox's proxy puts the real value
 * into requests to the secret's hosts only. A hostile scripted agent in a real sandboxed run
 * tries to get the value out (its environment, the processes it can see, the proxy's CA key, the
 * stand-in sent to another allowlisted host, a spoofed Host header, a file and a commit); an
 * HTTPS server on 127.0.0.1 with its own CA plays the secret's host (as 127.0.0.1) and another
 * allowlisted host (as localhost). Then every folder Ballador and the agent wrote is searched.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Step } from "../helpers/runtime.js";
import {
  agentSteps,
  cleanupSandboxTests,
  filesContaining,
  makeSandboxProject,
  sessionLog,
  uniqueValue,
} from "../helpers/sandbox.js";

const dirs: string[] = [];
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
  await cleanupSandboxTests();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const sha = (v: string) => createHash("sha256").update(v).digest("hex");

interface Seen {
  path: string;
  host: string;
  authorization: string;
  body: string;
}

/** A CA of the test's own and an HTTPS server on 127.0.0.1 whose certificate names 127.0.0.1 and localhost. */
async function startTlsServer(): Promise<{ port: number; caFile: string; seen: Seen[] }> {
  const dir = mkdtempSync(join(tmpdir(), "ballador-tls-"));
  dirs.push(dir);
  const ssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  ssl(
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "ca.key",
    "-out",
    "ca.crt",
    "-days",
    "2",
    "-subj",
    "/CN=test CA",
  );
  ssl(
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "srv.key",
    "-out",
    "srv.csr",
    "-subj",
    "/CN=localhost",
  );
  const ext = join(dir, "san.ext");
  execFileSync("sh", ["-c", `printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\n' > '${ext}'`]);
  ssl(
    "x509",
    "-req",
    "-in",
    "srv.csr",
    "-CA",
    "ca.crt",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "srv.crt",
    "-days",
    "2",
    "-extfile",
    ext,
  );
  const seen: Seen[] = [];
  const server = https.createServer(
    { key: readFileSync(join(dir, "srv.key")), cert: readFileSync(join(dir, "srv.crt")) },
    (req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        seen.push({
          path: req.url ?? "",
          host: req.headers.host ?? "",
          authorization: req.headers.authorization ?? "",
          body: Buffer.concat(chunks).toString("utf8"),
        });
        res.writeHead(200, { "content-type": "text/plain" });
        res.end("ok\n");
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { port: (server.address() as AddressInfo).port, caFile: join(dir, "ca.crt"), seen };
}

/** The sha256 of every environment value of every process the agent can see, one per line. */
const procValueHashes =
  "for f in /proc/[0-9]*/environ /proc/[0-9]*/cmdline; do tr '\\0' '\\n' < \"$f\" 2>/dev/null; echo; done | " +
  "sed 's/^[A-Za-z_][A-Za-z0-9_]*=//' | while IFS= read -r v; do printf %s \"$v\" | sha256sum; done";

describe("sandbox: masked secrets", () => {
  it("the agent holds a stand-in; only requests to the secret's host get the real value; it leaks nowhere", async () => {
    const real = uniqueValue("tok-");
    const passed = uniqueValue("pass-");
    const tls = await startTlsServer();
    const p = await makeSandboxProject({
      allowHosts: ["127.0.0.1", "localhost"],
      config: {
        agents: {
          default: "deployer",
          profiles: {
            deployer: {
              preset: "scripted",
              secrets: {
                // hosts declared: masked by default.
                API_TOKEN: { env: "API_TOKEN", hosts: ["127.0.0.1"] },
                // mode: pass keeps today's behaviour: the real value in the agent's environment.
                PASS_TOKEN: { env: "PASS_TOKEN", hosts: ["127.0.0.1"], mode: "pass" },
              },
            },
          },
        },
      },
    });
    const secretHost = `https://127.0.0.1:${tls.port}`;
    const otherHost = `https://localhost:${tls.port}`;
    const curl = (url: string, extra = "") =>
      `curl -sS --fail --max-time 20 -H "Authorization: Bearer $API_TOKEN" ${extra} '${url}' >/dev/null`;
    const steps: Step[] = [
      // A stand-in, not the value.
      { run: 'case "$API_TOKEN" in fake_value_*) ;; *) exit 1 ;; esac' },
      { run: `test "$(printf %s "$API_TOKEN" | sha256sum | cut -d' ' -f1)" != ${sha(real)}` },
      { run: `test "$(printf %s "$PASS_TOKEN" | sha256sum | cut -d' ' -f1)" = ${sha(passed)}` },
      // No process it can see holds the value (the proxy runs outside its PID namespace).
      // (The same search does find the passed secret: it would find the masked one.)
      { run: `{ ${procValueHashes}; } | grep -q ${sha(passed)}` },
      { run: `! { ${procValueHashes}; } | grep -q ${sha(real)}` },
      // The proxy's CA key stays on the host; its certificate is readable.
      { run: 'grep -q "BEGIN CERTIFICATE" "$BALLADOR_RUN_DIR/proxy-ca/ca.crt"' },
      { run: 'cat "$BALLADOR_RUN_DIR/proxy-ca/ca.key"', expect_fail: true },
      // Through the proxy, which trusts the test server's CA and is trusted by curl.
      { run: curl(`${secretHost}/secret-host`) },
      { run: curl(`${secretHost}/secret-body`, '--data-binary "token=$API_TOKEN"') },
      { run: curl(`${otherHost}/other-host`) },
      // The other host, claiming to be the secret's host in its Host header.
      { run: curl(`${otherHost}/spoofed-host`, `-H 'Host: 127.0.0.1:${tls.port}'`) },
      // Into a file and a commit.
      { run: 'printf "%s\\n" "$API_TOKEN" > leaked.txt && env > env-dump.txt' },
      { commit: "leak attempt" },
      { done: "tried" },
    ];
    await p.part("leak", { steps });
    await p.ok(["queue"]);
    const launched = await p.run(["launch"], {
      env: { API_TOKEN: real, PASS_TOKEN: passed, NODE_EXTRA_CA_CERTS: tls.caFile },
    });
    expect(launched.code, launched.stdout + launched.stderr).toBe(0);
    const t = await p.waitState("leak", ["review", "failed"], 90_000);
    const transcript = await agentSteps(p, "leak").catch(() => []);
    expect(
      t.state,
      `${t.reason}\n${JSON.stringify(transcript, null, 1)}\n${await sessionLog(p, "leak")}`,
    ).toBe("review");
    expect(transcript.every((s) => s.ok)).toBe(true);

    const byPath = (path: string) => tls.seen.find((s) => s.path === path);
    // The secret's host got the real value, in the header and in the body.
    expect(byPath("/secret-host")?.authorization).toBe(`Bearer ${real}`);
    expect(byPath("/secret-body")?.body).toBe(`token=${real}`);
    // The other host got the stand-in only, even when the request claimed the secret's host.
    for (const path of ["/other-host", "/spoofed-host"]) {
      const s = byPath(path);
      expect(s?.authorization, path).toMatch(/^Bearer fake_value_/);
      expect(JSON.stringify(s)).not.toContain(real);
    }
    const standIn = (byPath("/other-host")?.authorization ?? "").slice("Bearer ".length);

    // Recorded: the stand-in went toward a host it is not for.
    const report = await p.json<{
      runs: Array<{ denials: Array<{ host: string; secret?: string; count: number }> }>;
      suggestions: unknown[];
    }>(["sandbox", "denials", "leak"]);
    const events = report.runs.flatMap((r) => r.denials).filter((d) => d.secret);
    expect(events).toEqual([expect.objectContaining({ host: "localhost", secret: "API_TOKEN", count: 2 })]);
    expect(report.suggestions).toEqual([]);

    // The real value is nowhere on disk: store, run folders (logs, transcripts, the agent's
    // HOME), worktrees, repository, the launcher's HOME; the commit holds the stand-in.
    const stateDir = join(p.dir, ".ballador", "state");
    for (const dir of [stateDir, p.worktreeRoot, p.dir, p.home]) {
      expect(await filesContaining(dir, real), `the real value in ${dir}`).toEqual([]);
    }
    const log = await p.git(["log", "-p", "--all"]);
    expect(log).not.toContain(real);
    expect(log).toContain(standIn);
    // The per-run CA is gone with the run's sandbox.
    expect(await filesContaining(join(await p.runDir("leak")), "PRIVATE KEY")).toEqual([]);
  }, 150_000);

  it("a masked secret for a host the sandbox does not reach fails the run, naming the secret, the host and the fix", async () => {
    const p = await makeSandboxProject({
      allowHosts: ["127.0.0.1"],
      config: {
        agents: {
          default: "deployer",
          profiles: {
            deployer: {
              preset: "scripted",
              secrets: { API_TOKEN: { env: "API_TOKEN", hosts: ["api.example.com"] } },
            },
          },
        },
      },
    });
    await p.part("far", { steps: [{ done: "never" }] });
    await p.ok(["queue"]);
    const real = uniqueValue("tok-");
    await p.run(["launch"], { env: { API_TOKEN: real } });
    const t = await p.waitState("far", ["review", "failed"]);
    expect(t.state).toBe("failed");
    expect(t.reason).toContain('secret API_TOKEN: its host "api.example.com" is not one the sandbox reaches');
    expect(t.reason).toContain("allow_hosts");
    expect(await filesContaining(join(p.dir, ".ballador", "state"), real)).toEqual([]);
  });
});
