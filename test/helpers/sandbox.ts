/**
 * Helpers for the sandbox tests: a project with `sandbox.mode: bwrap` and a fake HOME holding a
 * fake ~/.ssh/id_rsa, a loopback HTTP server that records what reached it, the scripted agent's
 * transcript of a run, and a search of whole folders for a secret value.
 *
 *   const p = await makeSandboxProject({ allowHosts: ["127.0.0.1"] });
 *   const server = await startServer();           // closed by cleanupServers
 *   await p.part("a", { steps: [{ read: p.sshKey, expect_fail: true }, { done: "ok" }] });
 *   ...
 *   const steps = await agentSteps(p, "a");       // one record per step, with its outcome
 *   afterEach(cleanupSandboxTests);
 */
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { expect } from "vitest";
import { type Handler, type HttpServer, send, serveHttp } from "./fake-http.js";
import { maskedSecretConfig, type SecretSpec } from "./profiles.js";
import { cleanupProjects, makeProject, type Project, type TaskStatus } from "./runtime.js";
import { cleanupTls, testCertificates } from "./tls.js";

export interface SandboxProject extends Project {
  /** <fake HOME>/.ssh/id_rsa, which holds `sshKeyContent`. */
  sshKey: string;
  sshKeyContent: string;
  /** Latest run folder of a task. */
  runDir(id: string): Promise<string>;
}

/**
 * A project whose agents, verify and hooks run in bubblewrap. HOME (of every `ballador` the test
 * runs, so of the launcher whose `~` the deny list expands) is the test's own folder, with a
 * fake private key in it. One attempt per task, so a failure is final and shows at once.
 * `config` is merged over these defaults (its `sandbox` key too). waitState waits up to 45 s
 * by default: sandboxed runs on a loaded two-core machine take a while.
 */
export async function makeSandboxProject(
  opts: { allowHosts?: string[]; config?: Record<string, unknown>; files?: Record<string, string> } = {},
): Promise<SandboxProject> {
  const { sandbox, ...rest } = opts.config ?? {};
  const p = await makeProject({
    config: {
      sandbox: { mode: "bwrap", allow_hosts: opts.allowHosts ?? [], ...(sandbox as object | undefined) },
      max_attempts: 1,
      ...rest,
    },
    ...(opts.files ? { files: opts.files } : {}),
  });
  const sshDir = join(p.home, ".ssh");
  await mkdir(sshDir, { mode: 0o700 });
  const sshKeyContent = `-----BEGIN FAKE KEY----- ${randomBytes(12).toString("hex")}\n`;
  const sshKey = join(sshDir, "id_rsa");
  await writeFile(sshKey, sshKeyContent, { mode: 0o600 });
  const sp = p as SandboxProject;
  sp.sshKey = sshKey;
  sp.sshKeyContent = sshKeyContent;
  const waitState = p.waitState;
  sp.waitState = (id, states, ms = 45_000) => waitState(id, states, ms);
  sp.runDir = async (id) => {
    const shown = await p.show(id);
    const runs = shown.runs;
    if (!Array.isArray(runs)) throw new Error(`show ${id} --json has no runs: ${JSON.stringify(shown)}`);
    const last = runs[runs.length - 1];
    if (!last) throw new Error(`task ${id} has no run`);
    return last.runDir;
  };
  return sp;
}

/** One line of the scripted agent's transcript (agent-transcript.jsonl in the run folder). */
export interface StepRecord {
  index: number;
  kind: string;
  ok: boolean;
  error: string | null;
  detail: string;
  expect_fail: boolean;
}

/** The step records of the task's latest run, in order. */
export async function agentSteps(p: SandboxProject, id: string): Promise<StepRecord[]> {
  const file = join(await p.runDir(id), "inbox", "agent-transcript.jsonl");
  if (!existsSync(file)) throw new Error(`no transcript at ${file}`);
  return (await readFile(file, "utf8"))
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as StepRecord & { index?: number })
    .filter((r): r is StepRecord => typeof r.index === "number");
}

/** Text for a failed expectation: the session log of the task's latest run. */
export async function sessionLog(p: SandboxProject, id: string): Promise<string> {
  const file = join(await p.runDir(id), "session.log");
  return existsSync(file) ? readFile(file, "utf8") : "(no session.log)";
}

export interface RecordingServer {
  port: number;
  url: string;
  /** Paths of the requests that reached the server, in order. */
  paths: string[];
  /** Their Authorization headers ("" when none), in the same order. */
  authorizations: string[];
  close(): Promise<void>;
}

const servers: RecordingServer[] = [];

/** An HTTP server on 127.0.0.1 (a free port) answering 200 "hello" and recording request paths. */
export async function startServer(): Promise<RecordingServer> {
  const paths: string[] = [];
  const authorizations: string[] = [];
  const server = await serveHttp(({ req, url }, res) => {
    paths.push(url);
    authorizations.push(req.headers.authorization ?? "");
    send(res, 200, "text/plain", "hello from the host\n");
  });
  const s: RecordingServer = { ...server, paths, authorizations };
  servers.push(s);
  return s;
}

/** Queues and launches, then expects `id` in review (failing with its reason and session log). */
export async function launchToReview(p: SandboxProject, id: string, ms?: number): Promise<TaskStatus> {
  await p.ok(["queue"]);
  await p.ok(["launch"]);
  const t = await p.waitState(id, ["review", "failed"], ms);
  expect(t.state, `${t.reason}\n${await sessionLog(p, id)}`).toBe("review");
  return t;
}

/** Closes the servers, kills every project's tmux server and removes the temporary folders and CAs. */
export async function cleanupSandboxTests(): Promise<void> {
  await Promise.all([...servers.splice(0), ...httpsHosts.splice(0)].map((s) => s.close()));
  await cleanupProjects();
  cleanupTls();
}

export interface HttpsHost extends HttpServer {
  /** The test CA that signed the host's certificate (for 127.0.0.1 and localhost). */
  caFile: string;
}

const httpsHosts: HttpsHost[] = [];

/**
 * An HTTPS host on 127.0.0.1 with a CA of the test's own, answering with `handle` (closed by
 * cleanupSandboxTests): a secret's host, an internal host, an echoing API.
 */
export async function startHttpsHost(handle: Handler): Promise<HttpsHost> {
  const { caFile, key, cert } = testCertificates();
  const host = { ...(await serveHttp(handle, { tls: { key, cert } })), caFile };
  httpsHosts.push(host);
  return host;
}

/**
 * A sandbox project whose default profile, `deployer` (the scripted agent), holds masked
 * `secrets`; 127.0.0.1 is reachable unless `allowHosts` says otherwise; `more` is more config.
 */
export function maskedSecretProject(
  secrets: Record<string, SecretSpec>,
  opts: { allowHosts?: string[]; more?: Record<string, unknown> } = {},
): Promise<SandboxProject> {
  return makeSandboxProject({
    allowHosts: opts.allowHosts ?? ["127.0.0.1"],
    config: maskedSecretConfig(secrets, opts.more),
  });
}

/** Where a secret must never land: the store and run folders, the worktrees, the repository, the launcher's HOME. */
export function leakPlaces(p: SandboxProject): string[] {
  return [join(p.dir, ".ballador", "state"), p.worktreeRoot, p.dir, p.home];
}

/** Asserts that no file under any of `dirs` holds `value` (`what` names it in the failure). */
export async function expectInNoFile(value: string, dirs: readonly string[], what = value): Promise<void> {
  for (const dir of dirs) {
    expect(await filesContaining(dir, value), `${what} in ${dir}`).toEqual([]);
  }
}

/** Every file under `dir` (recursively, symlinks not followed) whose bytes contain `needle`. */
export async function filesContaining(dir: string, needle: string): Promise<string[]> {
  const out: string[] = [];
  const want = Buffer.from(needle);
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      const full = join(d, e.name);
      if (e.isDirectory()) await walk(full);
      else if (e.isFile()) {
        const data = await readFile(full).catch(() => null);
        if (data?.includes(want)) out.push(full);
      }
    }
  };
  await walk(dir);
  return out;
}

/** A fresh random value, e.g. for a secret that must not leak anywhere. */
export function uniqueValue(prefix: string): string {
  return `${prefix}${randomBytes(10).toString("hex")}`;
}
