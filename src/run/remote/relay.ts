/**
 * The relay (spec 0013): the process in a remote run's home session, in place of a supervisor.
 * It pushes the run's start to the shared remote, hands the run order to the runner's Ballador
 * over SSH, applies the events that come back to the home store, and at the end adopts the
 * pushed branch. A dropped connection is reattached (the runner never starts a run twice);
 * after that it is a lost session.
 */
import { type ChildProcessWithoutNullStreams as ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { resolveProfile } from "../../adapters/agents/profiles.js";
import { git, resolveCommit } from "../../adapters/git/index.js";
import { readProvisionSpec } from "../../adapters/runfolder/index.js";
import { awaitGitShared, gitSshEnv } from "../../adapters/ssh/index.js";
import { openProject, type Project } from "../../project/index.js";
import { VERSION } from "../../version.js";
import { openPrReview, openRequests, openUpdate } from "../steering.js";
import type { Masking } from "./masking.js";
import { MAX_EVENT_LINE, parseEventLine, type RemoteEvent, type RunOrder, runRefs } from "./protocol.js";
import {
  adopt,
  applyEvent,
  concludeRemote,
  type RelayRun,
  readRelayState,
  saveRelayState,
  trustVerdict,
} from "./relay-apply.js";
import { balladorCommand, remoteOf, runnerNamed, shareOf, sshArgv } from "./ssh.js";

type End = Extract<RemoteEvent, { t: "end" }>;
type Claim = NonNullable<ReturnType<typeof readProvisionSpec>>;
type Tunnel = Masking["tunnel"];

function say(line: string): void {
  process.stdout.write(`[ballador] ${line}\n`);
}

/** How many times a dropped connection is reattached before the run counts as lost. */
const RECONNECTS = 3;

/** The relay's view of a run from its claim and the store; a string says why there is none. */
export function relayRunFor(
  project: Project,
  runDir: string,
  branchCommit: string | null,
): RelayRun | string {
  const claim = readProvisionSpec(runDir);
  if (!claim) return `${runDir} has no provision.json`;
  const store = project.store();
  const row = store.run(claim.runId);
  const runner = row?.runner ? runnerNamed(project.config, row.runner) : null;
  const remote = remoteOf(project.config);
  if (!row) return "its run is not in the store";
  if (!runner) return `runner ${row.runner} is not in the config`;
  if (!remote) return "runners_remote is not set";
  // A relay reopened by reconcile goes on from its record: same start, nothing applied twice.
  const kept = readRelayState(runDir);
  return {
    project,
    store,
    runner,
    remote,
    runId: claim.runId,
    taskId: claim.taskId,
    runDir,
    branch: claim.branch,
    startCommit: kept?.startCommit ?? branchCommit ?? claim.baseCommit,
    baseCommit: claim.baseCommit,
    cursor: kept?.cursor ?? { event: 0, verification: 0, note: 0 },
    say,
  };
}

/** The end at home: the pushed branch adopted (a trusted runner's verdict kept), the task moved. */
export async function finishRemote(r: RelayRun, end: End | null, why: string | null): Promise<string | null> {
  let problem = why;
  if (end?.commit && problem === null) {
    problem = await adopt(r, end.commit);
    if (problem === null) await trustVerdict(r, end.commit);
    else say(`not adopted: ${problem}`);
  }
  concludeRemote(r, end, problem);
  return problem;
}

/** The connection the relay's process opened before its code loaded (spawnPrepared): the first one used. */
let early: ChildProcess | null = null;

/** The early connection, once, for a connection without a tunnel; with one it is closed unused. */
function takeEarly(tunnel: Tunnel | undefined): ChildProcess | null {
  const child = early;
  early = null;
  if (child && tunnel) child.kill("SIGTERM");
  return tunnel ? null : child;
}

export async function relay(runDir: string, opened?: ChildProcess | null): Promise<number> {
  early = opened ?? null;
  try {
    return await relayRun(runDir);
  } finally {
    // Not used (the relay ended before its order): its runner sees no order and starts nothing.
    takeEarly(undefined)?.kill("SIGTERM");
  }
}

async function relayRun(runDir: string): Promise<number> {
  const claim = readProvisionSpec(runDir);
  if (!claim) throw new Error(`${runDir} has no provision.json`);
  const project = await openProject(claim.repoRoot);
  try {
    const branchCommit = claim.branchExisted
      ? await resolveCommit(claim.repoRoot, `refs/heads/${claim.branch}`)
      : null;
    const r = relayRunFor(project, runDir, branchCommit);
    if (typeof r === "string") {
      const store = project.store();
      store.transition(claim.taskId, "failed", {
        cause: r,
        actor: "relay",
        reason: `launch: ${r}`,
        runId: claim.runId,
      });
      store.endRun(claim.runId, { outcome: "launch-failed", detail: r });
      return 1;
    }
    r.store.updateRun(r.runId, { supervisorPid: process.pid });
    if (r.store.run(r.runId)?.status === "provisioning")
      r.store.updateRun(r.runId, { phase: `sending to runner ${r.runner.name}` });
    saveRelayState(r);
    return await relayTo(r, claim);
  } finally {
    project.close();
  }
}

async function relayTo(r: RelayRun, claim: Claim): Promise<number> {
  let masking: Masking | null = null;
  try {
    // The start goes to the remote while the runner's connection opens (its handshake and its
    // Ballador's start): the order is written only once the start is there, which the runner
    // fetches first thing.
    const pushed = pushStart(r, claim.merge);
    pushed.catch(() => undefined);
    // Masked secrets stay here: the runner gets stand-ins and a tunnel to this process's proxy;
    // unless the person opted the runner in (secrets_at: runner): values in the order, held there.
    // Their code (and the sandbox runtime's proxy) loads only for a profile with secrets.
    const profile = resolveProfile(r.project.config, claim.profile);
    const secrets = Object.keys(profile.secrets).length > 0;
    const held =
      secrets && r.runner.secrets_at === "runner"
        ? await (await import("./runner-secrets.js")).runnerSecretsFor(r, profile)
        : null;
    if (held)
      say(`secrets_at: runner: the secrets' values go to runner ${r.runner.name}, held in memory there`);
    else if (secrets) masking = await (await import("./masking.js")).startMasking(r, profile);
    if (masking)
      say(`masked secrets stay home: runner ${r.runner.name} reaches their hosts through an SSH tunnel`);
    const masked = masking?.order;
    const order = pushed.then((mergeRefs) => {
      const o = runOrder(r, claim, mergeRefs);
      return { ...o, ...(masked ? { masked } : {}), ...(held ? { secrets: held } : {}) };
    });
    const { end, why } = await converse(r, order, masking?.tunnel);
    const problem = await finishRemote(r, end, why);
    say(problem ? `ended: ${problem}` : `ended on runner ${r.runner.name}: ${end?.state}`);
    return problem ? 1 : 0;
  } catch (err) {
    concludeRemote(r, null, (err as Error).message.split("\n")[0] ?? "relay error");
    throw err;
  } finally {
    await masking?.close();
  }
}

/** The run's start (and stacked branches) to the shared remote, under this run's refs. */
async function pushStart(r: RelayRun, merge: readonly string[]): Promise<string[]> {
  const refs = runRefs(r.runId);
  const specs = [`+${r.startCommit}:${refs.base}`];
  const mergeRefs: string[] = [];
  for (const [i, branch] of merge.entries()) {
    const c = await resolveCommit(r.project.paths.root, `refs/heads/${branch}`);
    if (!c) throw new Error(`stacked branch ${branch} does not exist`);
    specs.push(`+${c}:${refs.merge(i + 1)}`);
    mergeRefs.push(refs.merge(i + 1));
  }
  say(`pushing the run's start to the runners' remote`);
  await awaitGitShared({ dir: shareOf(r.project), remote: r.remote });
  await git(["push", "-q", "--no-verify", "--", r.remote, ...specs], {
    cwd: r.project.paths.root,
    env: gitSshEnv(process.env, { dir: shareOf(r.project), remote: r.remote }),
  });
  return mergeRefs;
}

function runOrder(
  r: RelayRun,
  claim: NonNullable<ReturnType<typeof readProvisionSpec>>,
  mergeRefs: string[],
): RunOrder {
  const task = r.store.task(r.taskId);
  if (!task) throw new Error(`task ${r.taskId} is gone`);
  return {
    protocol: 1,
    version: VERSION,
    runId: r.runId,
    taskId: r.taskId,
    attempt: claim.attempt,
    title: task.title,
    body: task.body,
    verify: task.verify,
    profile: claim.profile,
    branch: claim.branch,
    remote: r.remote,
    baseRef: runRefs(r.runId).base,
    mergeRefs,
    config: readFileSync(r.project.paths.configFile, "utf8"),
    root: r.runner.root,
    previousFailure: claim.previousFailure,
    requests: openRequests(r.store, r.taskId).slice(-64),
    prReview: openPrReview(r.store, r.taskId).slice(-64),
    update: openUpdate(r.store, r.taskId)?.text ?? null,
    cursor: r.cursor,
    continueRun: claim.resume
      ? (r.store.runsOf(r.taskId).find((x) => x.id !== r.runId && x.runDir === claim.previousRunDir)?.id ??
        null)
      : null,
  };
}

/** Talks to the runner until its end, reattaching a dropped connection a few times. */
async function converse(
  r: RelayRun,
  first: Promise<RunOrder>,
  tunnel?: Tunnel,
): Promise<{ end: End | null; why: string | null }> {
  let lastWhy = "";
  let order = first;
  for (let attempt = 0; attempt <= RECONNECTS; attempt++) {
    if (attempt > 0) {
      say(`connection to runner ${r.runner.name} lost (${lastWhy}); reattaching (${attempt}/${RECONNECTS})`);
      await new Promise((res) => setTimeout(res, 2000 * attempt));
      // A reattach sends what has been applied since.
      const sent = await order;
      order = Promise.resolve({ ...sent, cursor: { ...r.cursor } });
    }
    const got = await oneConnection(r, order, tunnel);
    if ("end" in got) return { end: got.end, why: null };
    if (got.refused) return { end: null, why: got.why };
    lastWhy = got.why;
  }
  return { end: null, why: `the connection to runner ${r.runner.name} was lost: ${lastWhy}` };
}

/** One SSH connection: the order in, checked events out, until the end or a drop. */
function oneConnection(
  r: RelayRun,
  order: Promise<RunOrder>,
  tunnel?: Tunnel,
): Promise<{ end: End } | { why: string; refused: boolean }> {
  const command = balladorCommand(r.runner, ["__runner-serve", "run"]);
  const [cmd, ...args] = sshArgv(r.runner, command, tunnel ? { tunnel } : { share: shareOf(r.project) });
  const child = takeEarly(tunnel) ?? spawn(cmd as string, args, { stdio: ["pipe", "pipe", "pipe"] });
  child.stdin.on("error", () => undefined);
  // Nothing is sent before the order is whole (the start pushed); a failed push ends it here.
  let orderError: Error | null = null;
  order.then(
    (o) => child.stdin.end(JSON.stringify(o)),
    (err: Error) => {
      orderError = err;
      child.kill("SIGTERM");
    },
  );
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => {
    stderr = (stderr + d.toString("utf8")).slice(-4000);
  });
  return new Promise((resolve, reject) => {
    let settled: { end: End } | { why: string; refused: boolean } | null = null;
    const lines = createInterface({ input: child.stdout, crlfDelay: Number.POSITIVE_INFINITY });
    lines.on("line", (line) => {
      if (settled) return;
      const e = parseEventLine(line.slice(0, MAX_EVENT_LINE + 1));
      if (typeof e === "string") {
        settled = { why: `runner ${r.runner.name} sent ${e}`, refused: true };
        child.kill("SIGTERM");
        return;
      }
      try {
        const end = applyEvent(r, e);
        if (end) settled = { end };
      } catch (err) {
        settled = { why: `an event could not be applied: ${(err as Error).message}`, refused: true };
        child.kill("SIGTERM");
      }
    });
    child.on("error", (err) => {
      settled ??= { why: err.message, refused: false };
    });
    child.on("close", (code, signal) => {
      lines.close();
      if (orderError) return reject(orderError);
      const tail = stderr.trim().split("\n").slice(-3).join(" | ").slice(0, 500);
      resolve(
        settled ?? {
          why: `ssh ended (${signal ?? `exit ${code}`})${tail ? `: ${tail}` : ""}`,
          refused: false,
        },
      );
    });
  });
}
