/**
 * Which secrets an agent holds and which it only sees as stand-ins. A masked secret's real value
 * stays on the host; the sandbox's proxy adds it to requests to the secret's hosts only.
 */

export type SecretOrigin = { env: string } | { file: string } | { command: string[] };
export type SecretSpec = SecretOrigin & {
  mode?: "mask" | "pass";
  hosts?: string[];
  /** A masked secret given as this file of the run's HOME (`~/...`) instead of a variable. */
  at?: string;
  /** With `at`: group 1 of each match is the credential; only those spans are masked. */
  extract?: string;
  /** The request header the real value goes into; default Authorization. */
  header?: string;
  /** Whether request bodies get the real value too; default no. */
  in_body?: boolean;
};

/** Why a masked secret's `header`/`in_body`, or a masked file's `at`/`extract`, cannot be used, or null. */
export function maskedFileProblem(
  spec: SecretSpec,
): { key: "at" | "extract" | "mode" | "header" | "in_body"; message: string } | null {
  for (const key of ["header", "in_body"] as const) {
    if (spec[key] !== undefined && secretMode(spec) !== "mask") {
      return {
        key,
        message: `${key} says where the proxy puts a masked secret's real value, but this secret is passed to the agent as it is; add hosts (and mode: mask), or remove ${key}`,
      };
    }
  }
  if (spec.extract !== undefined && spec.at === undefined) {
    return {
      key: "extract",
      message: "extract applies to a masked file: add at: ~/path/of/the/file, or remove extract",
    };
  }
  if (spec.at === undefined) return null;
  if (secretMode(spec) !== "mask") {
    return {
      key: "mode",
      message:
        "at gives a masked secret as a file; it needs hosts (and mode: mask). For the real value, remove at and pass it as a variable",
    };
  }
  const rel = spec.at.startsWith("~/") ? spec.at.slice(2) : null;
  if (!rel || rel.split("/").some((part) => part === ".." || part === "" || part === ".")) {
    return { key: "at", message: "must be a path inside the run's HOME, such as ~/.config/tool/token.json" };
  }
  if (spec.extract !== undefined) {
    let groups = 0;
    try {
      groups = new RegExp(`${spec.extract}|`).exec("")?.length ?? 1;
    } catch (err) {
      return { key: "extract", message: `not a valid regular expression (${(err as Error).message})` };
    }
    if (groups < 2) {
      return {
        key: "extract",
        message: 'needs a group, e.g. "token": *"([^"]+)": group 1 is the credential',
      };
    }
  }
  return null;
}

/**
 * The content of a masked file: the value with each credential span (group 1 of `extract`, or
 * the whole value) replaced by the stand-in `mint` gives for it. Null when `extract` matches nothing.
 */
export function maskContent(
  value: string,
  extract: string | undefined,
  mint: (real: string, index: number) => string,
): string | null {
  if (extract === undefined) return mint(value, 0);
  let index = 0;
  const out = value.replace(new RegExp(extract, "g"), (whole: string, cap: unknown) => {
    if (typeof cap !== "string" || cap.length === 0) return whole;
    return whole.replace(cap, mint(cap, index++));
  });
  return index === 0 ? null : out;
}
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

/** Which secrets a profile masks (for which hosts; `at`: given as that file) and which it passes. Names only. */
export interface SecretsSummary {
  masked: Array<{ name: string; hosts: string[]; at?: string }>;
  passed: string[];
}

export function summarizeSecrets(secrets: Readonly<Record<string, SecretSpec>>): SecretsSummary {
  const out: SecretsSummary = { masked: [], passed: [] };
  for (const [name, spec] of Object.entries(secrets)) {
    if (secretMode(spec) !== "mask") out.passed.push(name);
    else
      out.masked.push({
        name,
        hosts: [...(spec.hosts ?? [])],
        ...(spec.at !== undefined ? { at: spec.at } : {}),
      });
  }
  return out;
}

/** "secrets: masked A (for h); passed B": which secrets a profile passes and masks, for which hosts. */
export function describeSecrets(secrets: Readonly<Record<string, SecretSpec>>): string | null {
  const text = describeSummary(summarizeSecrets(secrets));
  return text === null ? null : `secrets: ${text}`;
}

/** "masked A (for h); passed B", or null when there is none. */
export function describeSummary({ masked, passed }: SecretsSummary): string | null {
  if (masked.length === 0 && passed.length === 0) return null;
  const parts: string[] = [];
  if (masked.length > 0) {
    parts.push(
      `masked ${masked.map((m) => `${m.name} (for ${m.hosts.join(", ")}${m.at ? `; as the file ${m.at}` : ""})`).join(", ")}`,
    );
  }
  if (passed.length > 0) parts.push(`passed ${passed.join(", ")}`);
  return parts.join("; ");
}
