/**
 * sandbox.upstream_ca: the host-side proxy that adds masked secrets verifies the real hosts with
 * Node's roots, the launcher's NODE_EXTRA_CA_CERTS and the CAs the config names. HTTPS servers on
 * loopback with CAs of the test's own play a company's internal hosts: one signed by a CA named
 * only in the config, one by a CA named only in the launcher's NODE_EXTRA_CA_CERTS.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { RunSandbox } from "../../src/adapters/sandbox/index.js";
import { maskedSecretConfig } from "../helpers/profiles.js";
import {
  agentSteps,
  cleanupSandboxTests,
  filesContaining,
  makeSandboxProject,
  sessionLog,
  startHttpsHost,
  uniqueValue,
} from "../helpers/sandbox.js";
import { testCertificates } from "../helpers/tls.js";
import { startMaskedSandbox } from "./bare-sandbox.js";

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
  await cleanupSandboxTests();
});

/** An HTTPS server on 127.0.0.1 whose certificate a fresh CA signed; records path and Authorization. */
async function internalHost(): Promise<{ port: number; caFile: string; seen: Map<string, string> }> {
  const seen = new Map<string, string>();
  const host = await startHttpsHost(({ req, url }, res) => {
    seen.set(url, req.headers.authorization ?? "");
    res.writeHead(200, { "content-type": "text/plain" });
    res.end("ok\n");
  });
  return { port: host.port, caFile: host.caFile, seen };
}

const deployer = (sandbox: Record<string, unknown>) =>
  maskedSecretConfig({ API_TOKEN: { env: "API_TOKEN", hosts: ["127.0.0.1"] } }, { sandbox });

/** curl's HTTP status for a request with the masked token, as the step's exit test. */
const statusIs = (url: string, code: number) =>
  `test "$(curl -sS --max-time 20 -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $API_TOKEN" '${url}')" = ${code}`;

describe("sandbox.upstream_ca", () => {
  it("a host signed by a CA named only in the config gets the real value; without the key the proxy refuses it (502)", async () => {
    const corp = await internalHost(); // its CA: only in sandbox.upstream_ca
    const launcher = await internalHost(); // its CA: only in the launcher's NODE_EXTRA_CA_CERTS
    const real = uniqueValue("tok-");

    const p = await makeSandboxProject({
      allowHosts: ["127.0.0.1"],
      config: deployer({ upstream_ca: ["certs/corp-ca.pem"] }),
      files: { "certs/corp-ca.pem": readFileSync(corp.caFile, "utf8") },
    });
    await p.part("corp", {
      steps: [
        { run: statusIs(`https://127.0.0.1:${corp.port}/corp`, 200) },
        { run: statusIs(`https://127.0.0.1:${launcher.port}/launcher`, 200) },
        { done: "ok" },
      ],
    });
    await p.ok(["queue"]);
    await p.run(["launch"], { env: { API_TOKEN: real, NODE_EXTRA_CA_CERTS: launcher.caFile } });
    const t = await p.waitState("corp", ["review", "failed"], 90_000);
    expect(t.state, `${t.reason}\n${await sessionLog(p, "corp")}`).toBe("review");
    // Both CAs at once: the config's and the launcher's.
    expect(corp.seen.get("/corp")).toBe(`Bearer ${real}`);
    expect(launcher.seen.get("/launcher")).toBe(`Bearer ${real}`);
    expect(await filesContaining(join(p.dir, ".ballador", "state"), real)).toEqual([]);

    // The same host without the key: the proxy does not trust its certificate and answers 502
    // inside; the host never sees the request (neither value nor stand-in).
    const q = await makeSandboxProject({ allowHosts: ["127.0.0.1"], config: deployer({}) });
    await q.part("corp", {
      steps: [{ run: statusIs(`https://127.0.0.1:${corp.port}/without-ca`, 502) }, { done: "ok" }],
    });
    await q.ok(["queue"]);
    await q.run(["launch"], { env: { API_TOKEN: real, NODE_EXTRA_CA_CERTS: launcher.caFile } });
    const u = await q.waitState("corp", ["review", "failed"], 90_000);
    const steps = await agentSteps(q, "corp").catch(() => []);
    expect(u.state, `${u.reason}\n${JSON.stringify(steps)}\n${await sessionLog(q, "corp")}`).toBe("review");
    expect([...corp.seen.keys()]).toEqual(["/corp"]);
  }, 200_000);

  it("a process that did not start with the config's CA among its roots refuses to start a masked run, naming the file and the fix", async () => {
    // This test's own process: Node read its NODE_EXTRA_CA_CERTS (none of this CA) at start.
    const { caFile } = testCertificates();
    const dir = mkdtempSync(join(tmpdir(), "ballador-upstream-"));
    closers.push(async () => {
      const { rmSync } = await import("node:fs");
      rmSync(dir, { recursive: true, force: true });
    });
    await expect(startMaskedSandbox(dir, { upstreamCa: [caFile] })).rejects.toThrow(
      new RegExp(
        `sandbox.upstream_ca: ${caFile.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} is not among the CAs this process trusts.*NODE_EXTRA_CA_CERTS=`,
      ),
    );
    await RunSandbox.stopAll();
  });
});
