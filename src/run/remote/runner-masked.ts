/**
 * A runner's side of masked secrets held at home (spec 0013). runner-serve keeps what the order
 * said (stand-ins, home's CA certificate, the tunnel's socket) in the throwaway project's state
 * folder, which the agent cannot read; the runner's supervisor then points its proxy's secret
 * hosts at the tunnel and gives the agent the stand-ins and a trust bundle holding home's CA.
 * No value is in any of it.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { rootCertificates } from "node:tls";
import type { Policy } from "../../adapters/sandbox/index.js";
import { type MaskedOrder, MaskedOrderSchema } from "./protocol.js";
import { REMOTE_MASKED_FILE } from "./runner-files.js";

/** The trust variables the sandbox runtime sets for its own CA, set here for home's. */
const CA_VARS = [
  "NODE_EXTRA_CA_CERTS",
  "SSL_CERT_FILE",
  "CURL_CA_BUNDLE",
  "REQUESTS_CA_BUNDLE",
  "PIP_CERT",
  "GIT_SSL_CAINFO",
  "AWS_CA_BUNDLE",
  "CARGO_HTTP_CAINFO",
  "DENO_CERT",
  "CLOUDSDK_CORE_CUSTOM_CA_CERTS_FILE",
];

/** Drops an earlier run's record (a continued project): a new order brings its own, or none. */
export function forgetRemoteMasked(stateDir: string): void {
  rmSync(join(stateDir, REMOTE_MASKED_FILE), { force: true });
}

export function writeRemoteMasked(stateDir: string, masked: MaskedOrder): void {
  writeFileSync(join(stateDir, REMOTE_MASKED_FILE), JSON.stringify(masked), { mode: 0o600 });
}

/**
 * What runner-serve kept for this run, or null (a local run, or a run without masked secrets).
 * A supervisor imports this module (and the protocol's zod schemas) only when the record is
 * there (spec 0017).
 */
export function readRemoteMasked(stateDir: string): MaskedOrder | null {
  const file = join(stateDir, REMOTE_MASKED_FILE);
  if (!existsSync(file)) return null;
  const r = MaskedOrderSchema.safeParse(JSON.parse(readFileSync(file, "utf8")));
  if (!r.success) throw new Error(`${file} is not a masked-secrets record: ${r.error.issues[0]?.message}`);
  return r.data;
}

/**
 * The run's policy with the secrets' hosts sent through the tunnel, and what the agent's
 * environment gets: the stand-ins, and every usual trust variable naming a bundle (home's CA,
 * Node's roots, this process's extra CAs) in the host-only run folder, readable inside.
 */
export function remoteMaskedRun(
  policy: Policy,
  masked: MaskedOrder,
  runDir: string,
): { policy: Policy; env: Record<string, string> } {
  const parts = [masked.caCert.trim(), ...rootCertificates];
  const extra = process.env.NODE_EXTRA_CA_CERTS;
  if (extra && existsSync(extra)) parts.push(readFileSync(extra, "utf8").trim());
  const bundle = join(runDir, "home-ca-bundle.crt");
  writeFileSync(bundle, `${parts.join("\n")}\n`, { mode: 0o644 });
  const env: Record<string, string> = { ...masked.env };
  for (const name of CA_VARS) env[name] = bundle;
  return {
    policy: {
      ...policy,
      network: { ...policy.network, mitmProxy: { socketPath: masked.socket, domains: masked.hosts } },
      filesystem: { ...policy.filesystem, allowRead: [...policy.filesystem.allowRead, bundle] },
    },
    env,
  };
}
