/**
 * Masked secrets of a remote run (spec 0013): the values stay home. The relay resolves them and
 * starts the (patched) sandbox runtime's proxy in its own process, for the secrets' hosts only:
 * TLS terminated with the run's CA, each value put where its config says, responses scrubbed,
 * denials recorded in home's run folder. The runner gets stand-ins and the CA's certificate;
 * its proxy sends the secrets' hosts through an SSH tunnel (`ssh -R`) to the socket opened here,
 * which hands each CONNECT to home's proxy with its token.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { connect, createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ResolvedProfile } from "../../adapters/agents/profiles.js";
import { recordDenial } from "../../adapters/runfolder/index.js";
import { type Policy, RunSandbox } from "../../adapters/sandbox/index.js";
import { runSsh } from "../../adapters/ssh/index.js";
import type { Config } from "../../config/schema.js";
import { hostMatches, hostOnly } from "../../core/secrets.js";
import { remotePath } from "../../project/index.js";
import { resolveSecrets, splitSecrets } from "../sandboxing.js";
import { checkRemoteSecrets } from "./masking-rules.js";
import type { MaskedOrder } from "./protocol.js";
import type { RelayRun } from "./relay-apply.js";
import type { RunnerEntry } from "./ssh.js";

export interface Masking {
  order: MaskedOrder;
  tunnel: { remote: string; local: string };
  close(): Promise<void>;
}

/** The proxy policy at home: only the secrets' hosts, nothing on disk (nothing is wrapped here). */
function homePolicy(config: Config, hosts: string[]): Policy {
  return {
    kind: "agent",
    network: { allowedDomains: hosts, deniedDomains: [] },
    filesystem: { denyRead: [], allowRead: [], allowWrite: [], denyWrite: [] },
    binds: [],
    tlsPassthrough: [...(config.sandbox.tls_passthrough ?? [])],
    upstreamCa: [...(config.sandbox.upstream_ca ?? [])],
    loopbackAllowed: [],
    gitObjects: { own: "", shared: "" },
  };
}

/**
 * The runner's end of the tunnel: an absolute path under its root (ssh does not expand `~`).
 * A socket left there by an earlier relay of this run (home killed: its ssh may still hold the
 * forward) is removed first, in the same round trip, so a reopened relay binds it again.
 */
async function remoteSocket(runner: RunnerEntry, runId: string): Promise<string> {
  const name = `tunnel-${createHash("sha256").update(runId).digest("hex").slice(0, 12)}.sock`;
  const tilde = runner.root === "~" || runner.root.startsWith("~/");
  const target = remotePath(`${runner.root}/${name}`);
  const asked = await runSsh(
    runner.ssh,
    `f=${target}; if [ -S "$f" ]; then rm -f -- "$f"; fi; printf "%s" "$HOME"`,
    { timeoutMs: 60_000 },
  );
  const home = asked.stdout.trim();
  if (asked.code !== 0 || !home.startsWith("/"))
    throw new Error(
      `runner ${runner.name} did not say its home folder (${asked.stderr.trim().slice(0, 200)})`,
    );
  const path = tilde ? join(home, runner.root.slice(1), name) : join(runner.root, name);
  if (!/^\/[A-Za-z0-9._/-]{1,100}$/.test(path))
    throw new Error(
      `runner ${runner.name}: the tunnel's socket ${JSON.stringify(path)} is too long or has characters a socket path here may not; give the runner a shorter root`,
    );
  return path;
}

const CONNECT = /^CONNECT ([A-Za-z0-9._-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\]):(\d{1,5}) HTTP\/1\.[01]$/;

/**
 * One connection from the runner's proxy: a CONNECT to one of the secrets' hosts, handed to
 * home's proxy with its token; anything else is refused (and recorded: it did not come from the
 * runner's proxy, which sends only those hosts here).
 */
function bridge(client: Socket, hosts: readonly string[], runDir: string): void {
  let head = Buffer.alloc(0);
  client.on("error", () => client.destroy());
  const onData = (d: Buffer) => {
    head = Buffer.concat([head, d]);
    const end = head.indexOf("\r\n\r\n");
    if (end < 0) {
      if (head.length > 8192) client.end("HTTP/1.1 431 Request Header Fields Too Large\r\n\r\n");
      return;
    }
    client.off("data", onData);
    client.pause();
    const m = CONNECT.exec(head.subarray(0, end).toString("latin1").split("\r\n")[0] ?? "");
    const { port, token } = RunSandbox.endpoint();
    if (!m || !hosts.some((h) => hostMatches(m[1] as string, h)) || !port) {
      if (m)
        recordDenial(runDir, {
          host: hostOnly(m[1] as string),
          port: Number(m[2]),
          at: new Date().toISOString(),
        });
      client.end("HTTP/1.1 403 Forbidden\r\n\r\n");
      return;
    }
    const auth = Buffer.from(`ballador:${token ?? ""}`).toString("base64");
    const up = connect(port, "127.0.0.1", () => {
      up.write(
        `CONNECT ${m[1]}:${m[2]} HTTP/1.1\r\nHost: ${m[1]}:${m[2]}\r\nProxy-Authorization: Basic ${auth}\r\n\r\n`,
      );
      up.write(head.subarray(end + 4));
      client.pipe(up);
      up.pipe(client);
      client.resume();
    });
    up.on("error", () => client.destroy());
    client.on("close", () => up.destroy());
  };
  client.on("data", onData);
}

function listen(server: Server, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(path, () => resolve());
  });
}

/**
 * Starts home's side of a remote run's masked secrets (its profile has some). Throws (naming the
 * secret, never its value) when a value cannot be had or a host is not reachable under the run's
 * allowlist (checkRemoteSecrets).
 */
export async function startMasking(r: RelayRun, profile: ResolvedProfile): Promise<Masking> {
  const config = r.project.config;
  checkRemoteSecrets(config, r.runner, profile);
  const { masked } = splitSecrets(profile.secrets, await resolveSecrets(profile, process.env));
  const hosts = [...new Set(masked.flatMap((m) => m.hosts.map(hostOnly)))];
  const sandbox = await RunSandbox.start(homePolicy(config, hosts), {
    runDir: r.runDir,
    tmp: join(r.runDir, "tmp"),
    masked,
    // A relay reopened by reconcile holds the same CA and stand-ins: the runner's agent keeps its first.
    stable: { runId: r.runId },
  });
  const dir = mkdtempSync(join(tmpdir(), "bl-tunnel-"));
  const local = join(dir, "p.sock");
  const server = createServer((c) => bridge(c, hosts, r.runDir));
  try {
    await listen(server, local);
    const remote = await remoteSocket(r.runner, r.runId);
    const order: MaskedOrder = {
      socket: remote,
      hosts,
      caCert: readFileSync(join(r.runDir, "proxy-ca", "ca.crt"), "utf8"),
      env: sandbox.standIns(),
      files: sandbox.standInFiles(),
    };
    return {
      order,
      tunnel: { remote, local },
      close: async () => {
        server.close();
        rmSync(dir, { recursive: true, force: true });
        await RunSandbox.stopAll();
      },
    };
  } catch (err) {
    server.close();
    rmSync(dir, { recursive: true, force: true });
    await RunSandbox.stopAll();
    throw err;
  }
}
