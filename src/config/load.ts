/**
 * Loading the configuration. Layers, lowest first:
 *   1. built-in defaults
 *   2. the global file  $XDG_CONFIG_HOME/ballador/config.yaml (or ~/.config/ballador/config.yaml)
 *   3. environment variables BALLADOR_* (see ENV_KEYS)
 *   4. the repository's  .ballador/config.yaml
 * The repository wins: a project's settings (its sandbox above all) cannot be loosened from outside.
 * Mappings merge key by key; lists and scalars replace.
 */
import { accessSync, constants, existsSync, readFileSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import { LineCounter, parseDocument } from "yaml";
import type { z } from "zod";
import { pemCertificates } from "../core/pem.js";
import { pipelineConfigProblems } from "../core/pipeline.js";
import { sandboxWeakenings } from "../core/sandbox-weakening.js";
import { hostCovered, maskedFileProblem, secretMode } from "../core/secrets.js";
import { ConfigError, type ConfigProblem, problemsFromZod } from "./errors.js";
import { withRunnerDefaults } from "./runners-schema.js";
import { type Config, type ConfigLayer, ConfigLayerSchema, DEFAULT_CONFIG } from "./schema.js";
import { ENV_KEYS, globalConfigPath, REPO_CONFIG_PATH } from "./sources.js";

export { ENV_KEYS, globalConfigPath, REPO_CONFIG_PATH } from "./sources.js";

export interface LoadedConfig {
  config: Config;
  /** Where each layer came from, for doctor and `config --json`. */
  sources: string[];
  /** Problems that do not stop loading, e.g. a profile that names a missing fallback. */
  warnings: string[];
}

export function loadConfig(repoRoot: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const layers = readLayers(repoRoot, env);
  const config = layers.merged as unknown as Config;
  settleDefaultProfile(config, layers);
  config.runners = (config.runners ?? []).map(withRunnerDefaults);
  const problems = [
    ...profileProblems(config, layers.file),
    ...boundaryProblems(config, repoRoot, env, layers.layerOf),
  ];
  // Lists replace: the layer that set upstream_ca last is the one to name.
  const caFile = layers.layerOf((l) => l.sandbox?.upstream_ca);
  config.sandbox.upstream_ca = (config.sandbox.upstream_ca ?? []).map((given, i) => {
    const { path, problem } = readUpstreamCa(given, repoRoot, env);
    if (problem) problems.push({ file: caFile, key: `sandbox.upstream_ca.${i}`, message: problem });
    return path;
  });
  problems.push(...runtimeNodeProblems(config, layers, env), ...runnerSecretsProblems(layers, env));
  if (problems.length > 0) throw new ConfigError(problems);
  return { config, sources: layers.sources, warnings: [] };
}

interface Layers {
  /** The defaults with every layer merged in. */
  merged: Record<string, unknown>;
  sources: string[];
  global: ConfigLayer | null;
  env: ConfigLayer;
  repo: ConfigLayer | null;
  /** The file to name for a problem of the whole config: the repository's, else the global one. */
  file: string;
  /** The layer that set a key last (lists replace), for a problem about that key. */
  layerOf: (has: (l: ConfigLayer) => unknown) => string;
}

/** Reads and merges the layers (defaults, global file, environment, repository file). */
function readLayers(repoRoot: string, env: NodeJS.ProcessEnv): Layers {
  const problems: ConfigProblem[] = [];
  const sources: string[] = ["defaults"];
  let merged: Record<string, unknown> = structuredClone(DEFAULT_CONFIG) as unknown as Record<string, unknown>;

  const globalPath = globalConfigPath(env);
  const globalLayer = readLayer(globalPath, problems);
  if (globalLayer) {
    merged = mergeLayer(merged, globalLayer);
    sources.push(globalPath);
  }
  const envLayer = readEnvLayer(env, problems);
  if (Object.keys(envLayer).length > 0) {
    merged = mergeLayer(merged, envLayer);
    sources.push("environment");
  }
  const repoPath = join(repoRoot, REPO_CONFIG_PATH);
  const repoLayer = readLayer(repoPath, problems);
  if (repoLayer) {
    // A repo that lists its own profiles means exactly those: the default claude profile does not linger.
    if (repoLayer.agents?.profiles) (merged.agents as Record<string, unknown>).profiles = {};
    merged = mergeLayer(merged, repoLayer);
    sources.push(repoPath);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const file = repoLayer ? repoPath : globalLayer ? globalPath : "defaults";
  const layerOf = (has: (l: ConfigLayer) => unknown): string =>
    repoLayer && has(repoLayer) !== undefined
      ? repoPath
      : has(envLayer) !== undefined
        ? "environment"
        : globalLayer && has(globalLayer) !== undefined
          ? globalPath
          : file;
  return { merged, sources, global: globalLayer, env: envLayer, repo: repoLayer, file, layerOf };
}

/**
 * The default profile: a repository that defines its own profiles but names no default means
 * its first one. A default that names no profile stops loading here.
 */
function settleDefaultProfile(config: Config, layers: Layers): void {
  const names = Object.keys(config.agents.profiles);
  const defaultNamed =
    layers.repo?.agents?.default ?? layers.global?.agents?.default ?? layers.env.agents?.default;
  if (
    !defaultNamed &&
    layers.repo?.agents?.profiles &&
    names.length > 0 &&
    !names.includes(config.agents.default)
  ) {
    config.agents.default = names[0] as string;
  }
  if (!names.includes(config.agents.default)) {
    throw new ConfigError([
      {
        file: layers.file,
        key: "agents.default",
        message: `names profile "${config.agents.default}", which is not defined under agents.profiles (defined: ${names.join(", ") || "none"})`,
      },
    ]);
  }
}

/** Profiles named but not defined (reviewer, conductor, pipelines, fallbacks) and profiles set up wrong. */
function profileProblems(config: Config, file: string): ConfigProblem[] {
  const names = Object.keys(config.agents.profiles);
  const problems: ConfigProblem[] = [];
  const undefinedProfile = (key: string, name: string) =>
    problems.push({
      file,
      key,
      message: `names profile "${name}", which is not defined under agents.profiles`,
    });
  if (config.reviewer && !names.includes(config.reviewer)) undefinedProfile("reviewer", config.reviewer);
  if (config.conductor && !names.includes(config.conductor)) undefinedProfile("conductor", config.conductor);
  for (const [key, message] of pipelineConfigProblems(config, names)) problems.push({ file, key, message });
  for (const [name, profile] of Object.entries(config.agents.profiles)) {
    if (profile.fallback && !names.includes(profile.fallback)) {
      undefinedProfile(`agents.profiles.${name}.fallback`, profile.fallback);
    }
    for (const [secret, source] of Object.entries(profile.secrets ?? {})) {
      problems.push(...secretProblems(config, `agents.profiles.${name}.secrets.${secret}`, source, file));
    }
    if (!profile.preset && !profile.command) {
      problems.push({
        file,
        key: `agents.profiles.${name}`,
        message:
          "needs a preset (claude, codex, gemini, aider, opencode, cursor-agent, scripted) or a command list",
      });
    }
  }
  return problems;
}

type SecretSource = NonNullable<Config["agents"]["profiles"][string]["secrets"]>[string];

/** A profile's secret: a masked file's shape, and where a masked secret's real value can go. */
function secretProblems(config: Config, key: string, source: SecretSource, file: string): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const fileProblem = maskedFileProblem(source);
  if (fileProblem) problems.push({ file, key: `${key}.${fileProblem.key}`, message: fileProblem.message });
  if (secretMode(source) !== "mask") return problems;
  if (!source.hosts) {
    problems.push({
      file,
      key: `${key}.hosts`,
      message:
        "mode: mask needs hosts: the hosts whose requests get the real value (e.g. hosts: [api.example.com]); or set mode: pass to give the agent the real value",
    });
  } else if (source.hosts.some((h) => hostCovered(h, config.sandbox.tls_passthrough ?? []))) {
    const host = source.hosts.find((h) => hostCovered(h, config.sandbox.tls_passthrough ?? []));
    problems.push({
      file,
      key: `${key}.hosts`,
      message: `"${host}" is in sandbox.tls_passthrough: the proxy does not open its HTTPS, so it cannot add the real value there; remove it from one of the two, or set mode: pass`,
    });
  } else if (config.sandbox.mode === "none") {
    problems.push({
      file,
      key: `${key}.mode`,
      message:
        "a masked secret needs the sandbox (its proxy adds the real value), and sandbox.mode is none: turn the sandbox on (sandbox.mode: bwrap) or set mode: pass",
    });
  }
  return problems;
}

/**
 * Paths and hosts that reach past the repository or the sandbox: a `copy:` entry outside the
 * repository (it would be skipped, not copied), and settings that switch most of the sandbox
 * off without `sandbox.i_know_this_disables_the_sandbox: true` (issue 29).
 */
function boundaryProblems(
  config: Config,
  repoRoot: string,
  env: NodeJS.ProcessEnv,
  layerOf: (has: (l: ConfigLayer) => unknown) => string,
): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  config.copy.forEach((given, i) => {
    if (
      given.startsWith("/") ||
      given.startsWith("~") ||
      !resolve(repoRoot, given).startsWith(`${repoRoot}/`)
    )
      out.push({
        file: layerOf((l) => l.copy),
        key: `copy.${i}`,
        message: `"${given}" is outside the repository; copy: takes files inside it, relative to its root (e.g. .env): move the file into the repository or remove the entry`,
      });
  });
  if (config.sandbox.mode === "none" || config.sandbox.i_know_this_disables_the_sandbox === true) return out;
  const found = sandboxWeakenings({
    sandbox: config.sandbox,
    profiles: config.agents.profiles,
    home: env.HOME ?? homedir(),
    repoRoot,
  });
  for (const w of found) {
    const fix = w.key.includes("allow_hosts")
      ? "list the hosts the agents need (e.g. registry.npmjs.org)"
      : "name only the folder the agents need to write";
    out.push({
      file: w.key.startsWith("sandbox.allow_write")
        ? layerOf((l) => l.sandbox?.allow_write)
        : w.key.startsWith("sandbox.allow_hosts")
          ? layerOf((l) => l.sandbox?.allow_hosts)
          : layerOf((l) => l.agents?.profiles),
      key: w.key,
      message: `${w.what}, which switches most of the sandbox off: ${fix}; or, if you mean it, add sandbox.i_know_this_disables_the_sandbox: true (status and doctor then say so)`,
    });
  }
  return out;
}

/**
 * One entry of sandbox.upstream_ca: its absolute path (`~/` is the person's HOME, a relative
 * path is the repository's), and why it cannot be used, if so. Read now so a typo is a config
 * error rather than a proxy that silently refuses the company's hosts.
 */
function readUpstreamCa(
  given: string,
  repoRoot: string,
  env: NodeJS.ProcessEnv,
): { path: string; problem: string | null } {
  const path =
    given === "~" || given.startsWith("~/")
      ? join(env.HOME ?? homedir(), given.slice(1))
      : isAbsolute(given)
        ? given
        : resolve(repoRoot, given);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    return {
      path,
      problem: `cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? "error"}): name a PEM file holding the CA's certificate (absolute, ~/..., or relative to the repository), or remove the entry`,
    };
  }
  if (pemCertificates(text).length === 0) {
    return {
      path,
      problem: `${path} holds no PEM certificate (no "-----BEGIN CERTIFICATE-----" block): give the CA's certificate in PEM form (openssl x509 -in ca.der -inform der -out ca.pem), or remove the entry`,
    };
  }
  return { path, problem: null };
}

/**
 * runtime.node: a program Ballador runs on the host, outside every sandbox, so only the person's
 * own layers (their file, the environment) may name it: a repository's file is written by agents'
 * merged branches. An absolute path (or ~/...) to an executable file; its version (20 or newer)
 * is checked when a launch starts supervisors with it (a program started per config load would
 * slow every command). Resolved in place: config.runtime.node becomes the absolute path.
 */
function runtimeNodeProblems(config: Config, layers: Layers, env: NodeJS.ProcessEnv): ConfigProblem[] {
  const given = config.runtime?.node ?? null;
  if (given === null) return [];
  const from = layers.layerOf((l) => l.runtime?.node);
  const problem = (message: string): ConfigProblem[] => [{ file: from, key: "runtime.node", message }];
  if (layers.repo?.runtime?.node != null) {
    return problem(
      `names a program Ballador runs outside the sandbox, which a repository's file may not (agents' branches change it): move runtime.node to ${globalConfigPath(env)}`,
    );
  }
  const path = given === "~" || given.startsWith("~/") ? join(env.HOME ?? homedir(), given.slice(1)) : given;
  if (!isAbsolute(path)) {
    return problem(
      `"${given}" is not an absolute path: name the node program by its full path (e.g. /opt/node-22/bin/node)`,
    );
  }
  try {
    if (!statSync(path).isFile()) throw Object.assign(new Error("not a file"), { code: "EISDIR" });
    accessSync(path, constants.X_OK);
  } catch (err) {
    return problem(
      `cannot run ${path} (${(err as NodeJS.ErrnoException).code ?? "error"}): name an installed node program (Node.js 20 or newer), or remove runtime.node to use the Node that runs ballador`,
    );
  }
  config.runtime = { node: path, from };
  return [];
}

/**
 * `secrets_at: runner` sends the person's secret values to another machine: only the person's
 * own file may say so, never a repository's, which agents' merged branches change.
 */
function runnerSecretsProblems(layers: Layers, env: NodeJS.ProcessEnv): ConfigProblem[] {
  const runners = layers.repo?.runners ?? [];
  return runners.flatMap((r, i) =>
    r.secrets_at === "runner"
      ? [
          {
            file: layers.file,
            key: `runners.${i}.secrets_at`,
            message: `sends your secrets' values to runner ${r.name}, which a repository's file may not decide (agents' branches change it): list this runner in ${globalConfigPath(env)} instead, or remove secrets_at (home keeps the values)`,
          },
        ]
      : [],
  );
}

function readLayer(path: string, problems: ConfigProblem[]): ConfigLayer | null {
  if (!existsSync(path)) return null;
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    problems.push({ file: path, key: "", message: `cannot read: ${(err as Error).message}` });
    return null;
  }
  // linePos is only filled in with prettyErrors; a LineCounter gives lines without the noisy message.
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, lineCounter });
  if (doc.errors.length > 0) {
    for (const e of doc.errors) {
      const line = `line ${lineCounter.linePos(e.pos[0]).line}: `;
      const dup =
        e.code === "DUPLICATE_KEY" ? ` (the key "${keyAt(text, e.pos[0])}" appears twice; keep one)` : "";
      problems.push({
        file: path,
        key: "",
        message: `${line}not valid YAML: ${e.message.split("\n")[0]}${dup}`,
      });
    }
    return null;
  }
  let data: unknown;
  try {
    // yaml refuses documents whose aliases expand past a limit (a "billion laughs" bomb).
    data = doc.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (err) {
    problems.push({
      file: path,
      key: "",
      message: `not usable YAML: ${(err as Error).message}; write the values out instead of repeating aliases`,
    });
    return null;
  }
  // reportInput: lets messages say what was found ("expected number, got string \"five\"").
  const parsed = ConfigLayerSchema.safeParse(data, { reportInput: true });
  if (!parsed.success) {
    problems.push(...problemsFromZod(path, parsed.error.issues, knownKeysAt));
    return null;
  }
  return parsed.data;
}

function readEnvLayer(env: NodeJS.ProcessEnv, problems: ConfigProblem[]): ConfigLayer {
  const layer: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(ENV_KEYS)) {
    const raw = env[name];
    if (raw === undefined || raw === "") continue;
    if (spec.type === "int") {
      if (!/^\d+$/.test(raw)) {
        problems.push({
          file: `environment ${name}`,
          key: spec.key,
          message: `expected a whole number, got "${raw}"`,
        });
        continue;
      }
      layer[spec.key] = Number(raw);
    } else if (spec.type === "bool") {
      if (!/^(true|false|1|0)$/.test(raw)) {
        problems.push({
          file: `environment ${name}`,
          key: spec.key,
          message: `expected true or false, got "${raw}"`,
        });
        continue;
      }
      layer[spec.key] = raw === "true" || raw === "1";
    } else {
      layer[spec.key] = raw;
    }
  }
  const parsed = ConfigLayerSchema.safeParse(layer);
  if (!parsed.success) {
    problems.push(...problemsFromZod("environment", parsed.error.issues, knownKeysAt));
    return {};
  }
  return parsed.data;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function mergeLayer(base: Record<string, unknown>, layer: object): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(layer)) {
    if (v === undefined) continue;
    const current = out[k];
    out[k] = isPlainObject(current) && isPlainObject(v) ? mergeLayer(current, v) : v;
  }
  return out;
}

/** The keys a mapping accepts at a path, for "unknown key" messages. */
function knownKeysAt(path: PropertyKey[]): string[] {
  let schema: z.ZodType = ConfigLayerSchema;
  for (const step of path) {
    const inner = unwrap(schema);
    const def = inner._zod.def as {
      type: string;
      shape?: Record<string, z.ZodType>;
      valueType?: z.ZodType;
      element?: z.ZodType;
    };
    if (def.type === "array" && def.element) {
      schema = def.element;
    } else if (def.type === "object" && def.shape) {
      const next = def.shape[String(step)];
      if (!next) return [];
      schema = next;
    } else if (def.type === "record" && def.valueType) {
      schema = def.valueType;
    } else {
      return [];
    }
  }
  const def = unwrap(schema)._zod.def as { type: string; shape?: Record<string, unknown> };
  return def.type === "object" && def.shape ? Object.keys(def.shape) : [];
}

function unwrap(schema: z.ZodType): z.ZodType {
  let s = schema;
  for (;;) {
    const def = s._zod.def as { type: string; innerType?: z.ZodType };
    if ((def.type === "optional" || def.type === "nullable" || def.type === "default") && def.innerType)
      s = def.innerType;
    else return s;
  }
}

/** The mapping key that starts at an offset of a YAML text (for "appears twice" messages). */
function keyAt(text: string, offset: number): string {
  return /^["']?([^"':\n]+)/.exec(text.slice(offset))?.[1]?.trim() ?? "?";
}
