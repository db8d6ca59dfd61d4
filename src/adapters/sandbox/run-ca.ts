/**
 * The run's own CA for TLS termination, in a host-only folder of the run folder (the sandbox
 * reads its certificate, which the runtime allows, never its key), and the stand-ins derived
 * from it for a proxy that must hold the same ones when it starts again: home's proxy of a
 * remote run, reopened by reconcile after home was killed, while the agent on the runner keeps
 * the stand-ins and the CA certificate it was given first (spec 0013, "Masked secrets on a
 * runner").
 */
import { createHmac, createPrivateKey, X509Certificate } from "node:crypto";
import { lstatSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { readUntrusted } from "../hostile/index.js";

/** The runtime's stand-in prefix: its registry's fast path looks for it. */
const PREFIX = "fake_value_";
/** The hex of a stand-in at least: as long as the runtime's uuid4 part, more entropy than it. */
const MIN_HEX = 36;
/** A kept CA must stay valid at least this long (a new one is made otherwise). */
const MARGIN_MS = 24 * 3600 * 1000;

export interface RunCa {
  dir: string;
  /** The key's PEM (host memory; also what derived stand-ins are keyed by). */
  key: string;
}

/** A file of this process's user in `dir`, read through no link, the only name of its content. */
function readOwn(dir: string, file: string, secret: boolean): string {
  const text = readUntrusted(dir, file, 64 * 1024);
  const s = lstatSync(join(dir, file));
  const mine = s.uid === process.getuid?.();
  if (text === null || !mine || s.nlink !== 1 || (secret && (s.mode & 0o077) !== 0))
    throw new Error(`${join(dir, file)} is not this user's own file`);
  return text.toString("utf8");
}

/**
 * The CA already in `dir`, when it is the one this user made there: a folder (not a link) of
 * this user, closed to others, whose key (0600) and certificate are regular files of this user,
 * each its only link; the key the certificate's, valid a day more. Anything else: null.
 */
function keptCa(dir: string): RunCa | null {
  try {
    const d = lstatSync(dir);
    if (!d.isDirectory() || d.uid !== process.getuid?.() || (d.mode & 0o077) !== 0) return null;
    const key = readOwn(dir, "ca.key", true);
    const cert = new X509Certificate(readOwn(dir, "ca.crt", false));
    if (!cert.checkPrivateKey(createPrivateKey(key))) return null;
    if (Date.parse(cert.validTo) < Date.now() + MARGIN_MS) return null;
    return { dir, key };
  } catch {
    return null;
  }
}

/**
 * Writes the run's CA (`<runDir>/proxy-ca`), or with `keep` keeps the one there when keptCa
 * accepts it. Without `keep` (a local run: its agent dies with its supervisor, so nothing holds
 * an earlier stand-in) the folder is always made anew.
 */
export async function writeRunCa(runDir: string, keep: boolean): Promise<RunCa> {
  const dir = join(runDir, "proxy-ca");
  const kept = keep ? keptCa(dir) : null;
  if (kept) return kept;
  const { generateCa } = await import("@anthropic-ai/sandbox-runtime/dist/sandbox/mitm-ca.js");
  // A link is removed as a link; its target is never followed.
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { mode: 0o700 });
  const ca = generateCa({ cn: "ballador run CA", validityDays: 7 });
  writeFileSync(join(dir, "ca.crt"), ca.certPem, { mode: 0o644 });
  writeFileSync(join(dir, "ca.key"), ca.keyPem, { mode: 0o600 });
  return { dir, key: ca.keyPem };
}

/**
 * Stand-ins derived from the run's CA key: an HMAC of the run id and the registry's name for the
 * secret (nothing of its value), so a proxy started again with the same CA holds the same ones.
 * Shaped like the runtime's own: its prefix, then hex, length-matched to the real value as its
 * registry pads (a body's Content-Length stays true), never shorter than its uuid4 form.
 */
export function standInMinter(caKey: string, runId: string): (name: string, real: string) => string {
  return (name, real) => {
    const want = Math.max(MIN_HEX, Buffer.byteLength(real) - PREFIX.length);
    let hex = "";
    for (let i = 0; hex.length < want; i++) {
      hex += createHmac("sha256", caKey).update(`ballador stand-in\0${runId}\0${name}\0${i}`).digest("hex");
    }
    return PREFIX + hex.slice(0, want);
  };
}
