/**
 * `ballador runner add|remove|list`: the config's `runners:` edited in place (comments and the
 * rest of the file kept, through the yaml library's document model) and the last check of each
 * runner. The list goes where it takes effect: the repository's .ballador/config.yaml when that
 * file lists runners (its list replaces the global one) or with --repo, else the person's global
 * config (runners are the person's machines). A file is replaced whole, by rename, and only after
 * the edited layer validates: a bad value changes nothing.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { Document, isMap, isSeq, parseDocument, type YAMLSeq } from "yaml";
import { ConfigError, problemsFromZod } from "../config/errors.js";
import { globalConfigPath, loadConfig } from "../config/load.js";
import {
  type RunnerConfig,
  runnerNameProblem,
  runnerRootProblem,
  runnersRemoteProblem,
  sshTargetProblem,
} from "../config/runners-schema.js";
import { ConfigLayerSchema } from "../config/schema.js";
import { REPO_CONFIG_PATH } from "../config/sources.js";
import {
  findRoot,
  notFound,
  problems,
  type RunnerRecord,
  readRunnerRecord,
  refused,
  removeRunnerRecord,
  stateDirFor,
  usage,
} from "../project/index.js";

export interface RunnerAddInput {
  name: string;
  ssh: string;
  maxSessions?: number;
  root?: string;
  remote?: string;
  repo?: boolean;
}

export interface RunnerEdit {
  name: string;
  /** The config file written (or that already said so). */
  file: string;
  changed: boolean;
}

/** Where `runners:` takes effect: the repository's file when it lists runners (or --repo), else the global one. */
function runnersFile(root: string, env: NodeJS.ProcessEnv, preferRepo: boolean): string {
  const repoFile = join(root, REPO_CONFIG_PATH);
  if (preferRepo) return repoFile;
  if (existsSync(repoFile)) {
    const doc = parseDocument(readFileSync(repoFile, "utf8"));
    if (isMap(doc.contents) && doc.has("runners")) return repoFile;
  }
  return globalConfigPath(env);
}

function readDoc(file: string): Document {
  if (!existsSync(file)) return new Document({});
  const doc = parseDocument(readFileSync(file, "utf8"));
  if (doc.errors.length > 0 || (doc.contents !== null && !isMap(doc.contents))) {
    throw problems(
      "invalid_config",
      `${file} is not a YAML mapping Ballador can edit (${doc.errors[0]?.message.split("\n")[0] ?? "not a mapping"}); fix it by hand first`,
    );
  }
  if (doc.contents === null) return new Document({});
  return doc;
}

/** Validates the edited layer as Ballador will read it, then replaces the file by rename. */
function writeDoc(file: string, doc: Document): void {
  const parsed = ConfigLayerSchema.safeParse(doc.toJS(), { reportInput: true });
  if (!parsed.success) {
    throw new ConfigError(problemsFromZod(file, parsed.error.issues, () => []));
  }
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, doc.toString());
  renameSync(tmp, file);
}

function checkInput(input: RunnerAddInput): void {
  const bad = [
    runnerNameProblem(input.name),
    sshTargetProblem(input.ssh),
    input.root !== undefined ? runnerRootProblem(input.root) : null,
    input.remote !== undefined ? runnersRemoteProblem(input.remote) : null,
  ].filter((p): p is string => p !== null);
  if (bad.length > 0) throw usage("invalid_runner", bad.join("; "));
}

/** The config as loaded, a bad one being the person's to fix first (exit 1, every problem named). */
function configAt(root: string, env: NodeJS.ProcessEnv) {
  try {
    return loadConfig(root, env).config;
  } catch (err) {
    if (err instanceof ConfigError)
      throw problems("invalid_config", `the configuration is not valid:\n${err.message}`);
    throw err;
  }
}

export async function addRunner(
  cwd: string,
  input: RunnerAddInput,
  env: NodeJS.ProcessEnv = process.env,
): Promise<RunnerEdit> {
  checkInput(input);
  const root = await findRoot(cwd);
  const config = configAt(root, env);
  const file = runnersFile(root, env, input.repo === true);
  const existing = (config.runners ?? []).find((r) => r.name === input.name);
  const remoteSame = input.remote === undefined || config.runners_remote === input.remote;
  if (existing) {
    const same =
      existing.ssh === input.ssh &&
      (input.maxSessions === undefined || existing.max_sessions === input.maxSessions) &&
      (input.root === undefined || existing.root === input.root);
    if (!same) {
      throw refused(
        "runner_exists",
        `a runner named "${input.name}" exists already (ssh ${existing.ssh}, max_sessions ${existing.max_sessions}, root ${existing.root}); remove it first (ballador runner remove ${input.name}) or choose another name`,
      );
    }
    if (remoteSame) return { name: input.name, file, changed: false };
  }
  const doc = readDoc(file);
  if (!existing) {
    const entry: Record<string, unknown> = { name: input.name, ssh: input.ssh };
    if (input.maxSessions !== undefined) entry.max_sessions = input.maxSessions;
    if (input.root !== undefined) entry.root = input.root;
    const seq = doc.get("runners", true);
    if (isSeq(seq)) (seq as YAMLSeq).add(doc.createNode(entry));
    else doc.set("runners", doc.createNode([entry]));
  }
  if (!remoteSame) doc.set("runners_remote", input.remote);
  writeDoc(file, doc);
  return { name: input.name, file, changed: true };
}

export async function removeRunner(
  cwd: string,
  name: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<RunnerEdit> {
  const root = await findRoot(cwd);
  const config = configAt(root, env);
  if (!(config.runners ?? []).some((r) => r.name === name)) {
    const known = (config.runners ?? []).map((r) => r.name).join(", ") || "none";
    throw notFound("unknown_runner", `no runner "${name}" in the config (runners: ${known})`);
  }
  const file = runnersFile(root, env, false);
  const doc = readDoc(file);
  const seq = doc.get("runners", true);
  const index = isSeq(seq)
    ? (seq as YAMLSeq).items.findIndex((item) => isMap(item) && item.get("name") === name)
    : -1;
  if (index < 0) {
    throw refused(
      "runner_elsewhere",
      `runner "${name}" is not listed in ${file}: remove it where it is listed`,
    );
  }
  (seq as YAMLSeq).delete(index);
  writeDoc(file, doc);
  removeRunnerRecord(stateDirFor(root, env), name);
  return { name, file, changed: true };
}

export interface RunnerListing extends RunnerConfig {
  check: "ok" | "failed" | "never";
  checked_at: string | null;
  reason: string | null;
  /** Ballador's version there, when a check installed it. */
  ballador: string | null;
}

export async function listRunners(
  cwd: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ runners: RunnerListing[]; runners_remote: string | null }> {
  const root = await findRoot(cwd);
  const config = configAt(root, env);
  const stateDir = stateDirFor(root, env);
  const runners = (config.runners ?? []).map((r) => listing(r, readRunnerRecord(stateDir, r.name)));
  return { runners, runners_remote: config.runners_remote ?? null };
}

function listing(r: RunnerConfig, record: RunnerRecord | null): RunnerListing {
  return {
    ...r,
    check: record ? (record.ok ? "ok" : "failed") : "never",
    checked_at: record?.checked_at ?? null,
    reason: record?.reason ?? null,
    ballador: record?.ballador?.version ?? null,
  };
}

export { RUNNER_HOLDS_SECRETS } from "../project/index.js";
