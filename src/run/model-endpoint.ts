/**
 * Whether the model endpoint an agent is pointed at (a base-URL variable: a local gateway,
 * Ollama, LiteLLM, a fake) can be reached from inside the sandbox. Without this check a base
 * URL on loopback that the allowlist does not list makes the agent retry for minutes inside
 * the sandbox while nothing is recorded. Pure over its inputs (config, profile, environment):
 * doctor and launch call it and say what it found, with the config line to add.
 */
import { PRESETS } from "../adapters/agents/presets.js";
import type { ResolvedProfile } from "../adapters/agents/profiles.js";
import type { Config } from "../config/schema.js";

/** Variables that point an agent CLI at another model server (whatever the preset). */
export const BASE_URL_VARIABLES = [
  "ANTHROPIC_BASE_URL",
  "OPENAI_BASE_URL",
  "OPENAI_API_BASE",
  "GOOGLE_GEMINI_BASE_URL",
  "GEMINI_BASE_URL",
  "OLLAMA_HOST",
  "OLLAMA_API_BASE",
  "LITELLM_BASE_URL",
  "OPENROUTER_BASE_URL",
  // Copilot CLI's own model provider ("bring your own key").
  "COPILOT_PROVIDER_BASE_URL",
] as const;

export interface EndpointProblem {
  /** The variable, e.g. OPENAI_BASE_URL. */
  variable: string;
  /** Its value as set. */
  url: string;
  /** The host the agent would connect to. */
  host: string;
  /**
   * not-allowed: the sandbox's allowlist does not list the host (the agent's requests are
   * refused); not-passed: set where Ballador runs but the profile does not pass it (the agent
   * talks to its default endpoint instead); unparsable: not a URL.
   */
  kind: "not-allowed" | "not-passed" | "unparsable";
  /** Whether the host is this machine (loopback). */
  loopback: boolean;
  problem: string;
  /** The config line(s) that fix it. */
  fix: string;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|\[::1\]|localhost|.*\.localhost)$/i;

/** The host of a base URL (OLLAMA_HOST may be a bare host:port); null when it is none. */
export function hostOf(value: string): string | null {
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`;
  try {
    const host = new URL(text).hostname;
    return host ? host.replace(/^\[|\]$/g, "").toLowerCase() : null;
  } catch {
    return null;
  }
}

/** The allowlist's rule: a host listed exactly, or under a `*.domain` entry. */
export function hostAllowed(host: string, allowHosts: readonly string[]): boolean {
  const h = host.toLowerCase();
  return allowHosts.some((entry) => {
    const e = entry.toLowerCase();
    if (e.startsWith("*.")) return h.endsWith(e.slice(1)) && h.length > e.length - 1;
    return h === e;
  });
}

/**
 * The base-URL problems of one profile, as a run of it would meet them now. `env` is the
 * environment launch runs in. A variable the profile does not pass is reported only when its
 * preset's agent reads it. Nothing when the sandbox is off (the agent then has the host's
 * network). Each problem carries its fix: the allowlist line (globally or for the profile
 * alone), or the env line that passes the variable.
 */
export function modelEndpointProblems(
  config: Pick<Config, "sandbox">,
  profile: Pick<ResolvedProfile, "name" | "preset" | "env" | "secrets" | "allowHosts">,
  env: Readonly<Record<string, string | undefined>>,
): EndpointProblem[] {
  const problems: EndpointProblem[] = [];
  const allow = [...config.sandbox.allow_hosts, ...profile.allowHosts];
  for (const variable of BASE_URL_VARIABLES) {
    const secret = profile.secrets[variable];
    const passed = profile.env.includes(variable) || secret !== undefined;
    const value = (secret && "env" in secret ? env[secret.env] : env[variable])?.trim();
    if (!value) continue;
    const host = hostOf(value);
    if (!passed) {
      // Only a variable the profile's agent reads (its preset names it) is worth saying so.
      if (!PRESETS[profile.preset ?? ""]?.env.includes(variable)) continue;
      problems.push({
        variable,
        url: value,
        host: host ?? "",
        kind: "not-passed",
        loopback: host !== null && LOOPBACK.test(host),
        problem: `${variable}=${value} is set here, but profile "${profile.name}" does not pass it: the agent would use its default endpoint`,
        fix: `add ${variable} to agents.profiles.${profile.name}.env`,
      });
      continue;
    }
    if (config.sandbox.mode === "none") continue;
    if (host === null) {
      problems.push({
        variable,
        url: value,
        host: "",
        kind: "unparsable",
        loopback: false,
        problem: `${variable}=${value} is not a URL`,
        fix: `set ${variable} to a URL such as http://127.0.0.1:11434`,
      });
      continue;
    }
    if (hostAllowed(host, allow)) continue;
    const loopback = LOOPBACK.test(host);
    // The sandbox's proxy refuses names that resolve to loopback unless the literal address
    // is listed: for localhost, the URL itself should say 127.0.0.1.
    const listed = loopback && host !== "::1" && !/^127\./.test(host) ? "127.0.0.1" : host;
    const rewrite =
      listed !== host ? ` and set ${variable} to ${value.replace(new RegExp(host, "i"), listed)}` : "";
    problems.push({
      variable,
      url: value,
      host,
      kind: "not-allowed",
      loopback,
      problem: `${variable} points at ${host}${loopback ? " (this machine)" : ""}, which the sandbox's allowlist does not list: every request of the agent would be refused`,
      fix: `add to .ballador/config.yaml: sandbox.allow_hosts: ["${listed}"] (or agents.profiles.${profile.name}.allow_hosts: ["${listed}"])${rewrite}`,
    });
  }
  return problems;
}
