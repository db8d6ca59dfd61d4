/**
 * `secrets_at: runner` (issue 32, spec 0013): a runner the person opted in, in their own config,
 * gets the values of a run's secrets in the run order on ssh's stdin and holds them in memory
 * only; its own proxy masks them, with direct egress to the secret's host. A hostile scripted
 * agent there tries to get the value (its environment, every process it can see, the runner's
 * keeper of the values, a response that echoes it, a file and a commit); then every file the
 * runner user owns on this machine is searched for it. A repository's config may not opt in.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { maskedSecretConfig } from "../helpers/profiles.js";
import { HAVE_RUNNER_HOSTS } from "../helpers/runner-hosts.js";
import { filesHolding, filesOwnedBy, procValueHashes } from "../helpers/runner-leaks.js";
import { useRunnerHosts } from "../helpers/runner-project.js";
import type { Step } from "../helpers/runtime.js";
import {
  cleanupSandboxTests,
  expectInNoFile,
  leakPlaces,
  makeSandboxProject,
  sessionLog,
  uniqueValue,
} from "../helpers/sandbox.js";
import { testCertificates } from "../helpers/tls.js";

const sha = (v: string) => createHash("sha256").update(v).digest("hex");

/**
 * The secret's host inside the runner's network namespace (the runner reaches it directly, home
 * does not): HTTPS on its 127.0.0.1, echoing the Authorization it got and reporting it here.
 */
async function hostInRunner(
  netns: string,
  tls: { key: Buffer; cert: Buffer },
): Promise<{ port: number; seen: Array<{ path: string; authorization: string }>; close(): void }> {
  const js = `const https = require("node:https");
const s = https.createServer({ key: Buffer.from(process.env.K, "base64"), cert: Buffer.from(process.env.C, "base64") }, (req, res) => {
  const a = req.headers.authorization || "";
  console.log(JSON.stringify({ path: req.url, authorization: a }));
  res.end("you sent: " + a + "\\n");
});
s.listen(0, "127.0.0.1", () => console.log("port " + s.address().port));`;
  const child = spawn("ip", ["netns", "exec", netns, process.execPath, "-e", js], {
    env: { ...process.env, K: tls.key.toString("base64"), C: tls.cert.toString("base64") },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const seen: Array<{ path: string; authorization: string }> = [];
  const port = await new Promise<number>((resolve, reject) => {
    child.on("error", reject);
    createInterface({ input: child.stdout }).on("line", (l) => {
      if (l.startsWith("port ")) resolve(Number(l.slice(5)));
      else seen.push(JSON.parse(l) as { path: string; authorization: string });
    });
  });
  return { port, seen, close: () => child.kill("SIGTERM") };
}

/** Python inside the sandbox: reads the keeper's record and dials every keeper socket it can find. */
function keeperAttack(root: string): string {
  const py = [
    "import glob, socket, json",
    "token = 'none'",
    `for f in glob.glob(${JSON.stringify(`${root}/runs/*/repo/.ballador/state/runner-secrets.json`)}):`,
    "    try:",
    "        token = json.load(open(f))['token']; print('read', f)",
    "    except Exception as e:",
    "        print('unreadable', type(e).__name__)",
    "for path in glob.glob('/tmp/bl-sec-*/s.sock'):",
    "    print('socket', path)",
    "    try:",
    "        s = socket.socket(socket.AF_UNIX); s.settimeout(15); s.connect(path)",
    "        s.sendall((token + '\\n').encode()); print(s.recv(65536))",
    "    except Exception as e:",
    "        print('refused', type(e).__name__, e)",
    "print('done')",
  ].join("\n");
  const b64 = Buffer.from(py).toString("base64");
  return `python3 -c "$(printf %s ${b64} | base64 -d)" > keeper-attack.txt 2>&1; true`;
}

describe.skipIf(!HAVE_RUNNER_HOSTS)("secrets_at: runner (spec 0013)", () => {
  const hosts = useRunnerHosts([{ name: "r1" }], cleanupSandboxTests);

  it("the runner gets the value per run over ssh, holds it in memory only, and its agent gets a stand-in", async () => {
    const h = hosts.hosts[0]!;
    const real = uniqueValue("tok-");
    const passed = uniqueValue("pass-");
    const certs = testCertificates();
    // The runner's proxy checks the host's certificate: its CA, readable by the runner user too.
    const ca = join(hosts.dir, "secret-host-ca.crt");
    copyFileSync(certs.caFile, ca);
    const secretHost = await hostInRunner(h.netns, certs);
    const p = await makeSandboxProject({
      allowHosts: ["127.0.0.1"],
      config: {
        ...maskedSecretConfig({
          API_TOKEN: { env: "API_TOKEN", hosts: ["127.0.0.1"] },
          PASS_TOKEN: { env: "PASS_TOKEN", mode: "pass" },
        }),
        sandbox: { upstream_ca: [ca] },
      },
    });
    Object.assign(p.env, hosts.env);
    // The opt-in is the person's own file's, never the repository's.
    const global = join(p.env.XDG_CONFIG_HOME as string, "ballador");
    mkdirSync(global, { recursive: true });
    writeFileSync(
      join(global, "config.yaml"),
      stringify({
        runners: [{ name: "r1", ssh: "r1", root: `${h.home}/ballador`, secrets_at: "runner" }],
        runners_remote: hosts.remote.url,
      }),
    );
    try {
      const checked = await p.run(["runner", "check", "r1"], { timeoutMs: 240_000 });
      expect(checked.code, checked.stdout + checked.stderr).toBe(0);
      expect(checked.stdout).toContain("held in memory there by the run's supervisor");
      const listed = await p.ok(["runner", "list"]);
      expect(listed.stdout).toContain("r1: secrets_at: runner");
      const doctor = await p.json<{ checks: Array<{ name: string; detail: string; warn?: boolean }> }>([
        "doctor",
      ]);
      const said = doctor.checks.find((c) => c.name === "runner r1");
      expect(said?.detail).toContain("held in memory there");
      expect(said?.warn).toBe(true);

      const url = `https://127.0.0.1:${secretHost.port}`;
      const steps: Step[] = [
        { run: 'case "$API_TOKEN" in fake_value_*) ;; *) exit 1 ;; esac' },
        { run: `test "$(printf %s "$PASS_TOKEN" | sha256sum | cut -d' ' -f1)" = ${sha(passed)}` },
        // No process the agent can see holds the masked value (the supervisor is outside).
        { run: `! { ${procValueHashes}; } | grep -q ${sha(real)}` },
        // Through the runner's own proxy, straight to the host: the answer comes back masked.
        {
          run: `curl -sS --fail --max-time 30 -H "Authorization: Bearer $API_TOKEN" '${url}/secret-host' > echo.txt`,
        },
        { run: keeperAttack(`${h.home}/ballador`) },
        { run: "curl -sS --max-time 20 https://not-allowed.example/ > /dev/null 2>&1; true" },
        { run: 'printf "%s\\n" "$API_TOKEN" > leaked.txt && env > env-dump.txt' },
        { commit: "leak attempt" },
        { done: "tried" },
      ];
      await p.part("leak", { steps });
      await p.ok(["queue"]);
      const launched = await p.run(["launch", "leak", "--on", "r1"], {
        env: { API_TOKEN: real, PASS_TOKEN: passed },
      });
      expect(launched.code, launched.stdout + launched.stderr).toBe(0);
      const t = await p.waitState("leak", ["review", "failed"], 180_000);
      const echo = await p.git(["show", "ballador/leak:echo.txt"]).catch(() => "");
      expect(t.state, `${t.reason}\n${await sessionLog(p, "leak")}\n${echo}`).toBe("review");

      // The host got the real value, put in by the runner's proxy; the agent read the stand-in.
      expect(secretHost.seen.find((s) => s.path === "/secret-host")?.authorization).toBe(`Bearer ${real}`);
      expect(echo).toMatch(/^you sent: Bearer fake_value_/);
      const attack = await p.git(["show", "ballador/leak:keeper-attack.txt"]);
      expect(attack, attack).toContain("done");
      expect(attack).not.toContain("read ");
      expect(attack).not.toContain(real);

      // Nothing on the runner's disk holds the masked value: every file its user owns.
      const owned = filesOwnedBy(h.user);
      expect(owned.some((f) => f.endsWith("/order.json"))).toBe(true);
      expect(filesHolding(owned, [real])).toEqual([]);
      // Nor at home, nor in the history; the runner's denial is recorded at home.
      await expectInNoFile(real, leakPlaces(p), "the real value");
      expect(await p.git(["log", "-p", "--all"])).not.toContain(real);
      const report = await p.json<{ runs: Array<{ denials: Array<{ host: string }> }> }>([
        "sandbox",
        "denials",
        "leak",
      ]);
      expect(report.runs.flatMap((r) => r.denials).map((d) => d.host)).toContain("not-allowed.example");
    } finally {
      secretHost.close();
    }
  }, 420_000);

  it("refuses secrets_at: runner in the repository's config, naming the key and the person's file", async () => {
    const p = await makeSandboxProject({
      config: {
        ...maskedSecretConfig({ API_TOKEN: { env: "API_TOKEN", hosts: ["127.0.0.1"] } }),
        runners: [{ name: "r1", ssh: "r1", secrets_at: "runner" }],
        runners_remote: hosts.remote.url,
      },
    });
    const r = await p.run(["status"]);
    expect(r.code, r.stdout + r.stderr).not.toBe(0);
    expect(r.stderr).toContain("runners.0.secrets_at");
    expect(r.stderr).toContain("a repository's file may not decide");
    expect(r.stderr).toContain(join(p.env.XDG_CONFIG_HOME as string, "ballador", "config.yaml"));
  }, 120_000);
});
