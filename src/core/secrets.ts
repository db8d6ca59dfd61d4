/**
 * Which secrets an agent holds and which it only sees as stand-ins. A masked secret's real value
 * stays on the host; the sandbox's proxy adds it to requests to the secret's hosts only.
 */

export type SecretOrigin = { env: string } | { file: string } | { command: string[] };
export type SecretSpec = SecretOrigin & { mode?: "mask" | "pass"; hosts?: string[] };
export type SecretMode = "mask" | "pass";

/** Mask where the secret names the hosts it is for; otherwise pass (the behaviour before masking). */
export function secretMode(spec: Pick<SecretSpec, "mode" | "hosts">): SecretMode {
  return spec.mode ?? (spec.hosts && spec.hosts.length > 0 ? "mask" : "pass");
}

/** A host without its :port (hosts of an allowlist may carry one). */
export function hostOnly(pattern: string): string {
  const p = pattern.trim().toLowerCase();
  if (p.startsWith("[")) return p.slice(1, p.indexOf("]") > 0 ? p.indexOf("]") : undefined);
  const colons = p.split(":").length - 1;
  return colons === 1 ? (p.split(":")[0] as string) : p;
}

/** Whether `host` matches one pattern: exact, or `*.example.com` for its subdomains. */
export function hostMatches(host: string, pattern: string): boolean {
  const h = hostOnly(host).replace(/\.$/, "");
  const p = hostOnly(pattern).replace(/\.$/, "");
  if (p.startsWith("*.")) return h.endsWith(p.slice(1)) && h.length > p.length - 1;
  return h === p;
}

/** Whether every host `pattern` stands for is reachable through `allowed`. */
export function hostCovered(pattern: string, allowed: readonly string[]): boolean {
  const p = hostOnly(pattern);
  return allowed.some((a) => {
    const q = hostOnly(a);
    if (q === p) return true;
    if (!q.startsWith("*.")) return false;
    // *.example.com covers api.example.com and *.api.example.com, not example.com itself.
    const bare = p.startsWith("*.") ? p.slice(2) : p;
    return hostMatches(bare, q);
  });
}

/** One line for people: which secrets a profile passes and which it masks, for which hosts. */
export function describeSecrets(secrets: Readonly<Record<string, SecretSpec>>): string | null {
  const names = Object.keys(secrets);
  if (names.length === 0) return null;
  const masked = names.filter((n) => secretMode(secrets[n] as SecretSpec) === "mask");
  const passed = names.filter((n) => !masked.includes(n));
  const parts: string[] = [];
  if (masked.length > 0) {
    parts.push(
      `masked ${masked.map((n) => `${n} (for ${(secrets[n]?.hosts ?? []).join(", ")})`).join(", ")}`,
    );
  }
  if (passed.length > 0) parts.push(`passed ${passed.join(", ")}`);
  return `secrets: ${parts.join("; ")}`;
}
