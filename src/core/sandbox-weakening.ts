/**
 * Settings that switch most of the sandbox off while it still says `mode: bwrap`: a writable
 * folder covering `/`, the person's HOME or a credentials folder (an agent that may write
 * ~/.ssh/authorized_keys or ~/.bashrc owns the account), and a network allowlist of every host.
 * Refused unless the config says `sandbox.i_know_this_disables_the_sandbox: true`; then every
 * face says so as loudly as `mode: none`. Pure: paths are compared as written, `~` expanded.
 */
import { normalizeAbsolute } from "./judge-env.js";

/** Folders of credentials no agent reads unless a person says otherwise (the deny_read default). */
export const CREDENTIAL_FOLDERS = [
  "~/.ssh",
  "~/.aws",
  "~/.config/gh",
  "~/.gnupg",
  "~/.netrc",
  "~/.docker",
  "~/.kube",
] as const;

export interface Weakening {
  /** Dotted config key, e.g. sandbox.allow_write.0 */
  key: string;
  /** What it switches off, in a few words. */
  what: string;
}

export interface WeakeningInput {
  sandbox: { allow_write: readonly string[]; allow_hosts: readonly string[] };
  profiles: Record<string, { allow_hosts?: readonly string[]; writable?: readonly string[] }>;
  home: string;
  repoRoot: string;
}

/** An absolute POSIX path with `.`, `..` and repeated or trailing slashes resolved (a relative one from /). */
function normal(path: string): string {
  return normalizeAbsolute(`/${path}`) as string;
}

function expand(path: string, home: string, root: string): string {
  if (path === "~" || path.startsWith("~/")) return normal(`${home}/${path.slice(1)}`);
  return normal(path.startsWith("/") ? path : `${root}/${path}`);
}

function within(path: string, folder: string): boolean {
  return path === folder || path.startsWith(folder.endsWith("/") ? folder : `${folder}/`);
}

/** Why a writable folder switches the sandbox off, or null when it does not. */
export function writeWeakening(given: string, home: string, root: string): string | null {
  const p = expand(given, home, root);
  if (p === "/") return "the whole filesystem writable";
  if (within(normal(home), p)) return `your HOME (${home}) writable`;
  for (const c of CREDENTIAL_FOLDERS) {
    const folder = expand(c, home, root);
    if (within(folder, p) || within(p, folder)) return `the credentials folder ${c} writable`;
  }
  return null;
}

/** Whether a host entry lets every host (or every host of a top-level domain) through. */
export function everyHost(entry: string): boolean {
  return /^\*(?:\.[^.:]+)?\.?(?::\d+)?$/.test(entry.trim());
}

export function sandboxWeakenings(input: WeakeningInput): Weakening[] {
  const out: Weakening[] = [];
  const writes = (list: readonly string[] | undefined, key: string, absoluteOnly = false) =>
    (list ?? []).forEach((given, i) => {
      if (absoluteOnly && !given.startsWith("/")) return;
      const what = writeWeakening(given, input.home, input.repoRoot);
      if (what) out.push({ key: `${key}.${i}`, what: `"${given}" makes ${what}` });
    });
  const hosts = (list: readonly string[] | undefined, key: string) =>
    (list ?? []).forEach((given, i) => {
      if (everyHost(given)) out.push({ key: `${key}.${i}`, what: `"${given}" lets agents reach every host` });
    });
  writes(input.sandbox.allow_write, "sandbox.allow_write");
  hosts(input.sandbox.allow_hosts, "sandbox.allow_hosts");
  for (const [name, p] of Object.entries(input.profiles)) {
    // A profile's `~` is the run's own HOME (a folder of the run), not the person's.
    writes(p.writable, `agents.profiles.${name}.writable`, true);
    hosts(p.allow_hosts, `agents.profiles.${name}.allow_hosts`);
  }
  return out;
}

/** The loud line status, doctor and the dashboard show while the sandbox is acknowledged weakened. */
export function weakenedBanner(found: readonly Weakening[]): string {
  return `SANDBOX MOSTLY OFF (sandbox.i_know_this_disables_the_sandbox: true): ${found
    .map((w) => `${w.key} ${w.what}`)
    .join("; ")}`;
}
