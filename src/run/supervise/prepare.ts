/**
 * Prepare the agent: say what the attempt is, record where its stage starts, build the agent's
 * environment (default-deny, masked secrets as stand-ins), start its sandbox and wrap its
 * command. Nothing here reads the config as it now stands: the run's plan is in its context.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { prepareAgentHome } from "../../adapters/agents/home.js";
import { resolveProfile } from "../../adapters/agents/profiles.js";
import { resolveCommit } from "../../adapters/git/index.js";
import type { RunSpec } from "../../adapters/runfolder/index.js";
import { type MaskedSecret, RunSandbox } from "../../adapters/sandbox/index.js";
import { mcpSelection } from "../mcp-servers.js";
import { holdsRunnerSecrets, REMOTE_MASKED_FILE } from "../remote/runner-files.js";
import type { RefCopy } from "../run-refs.js";
import { mcpForHome } from "../run-spec.js";
import { beforeSandboxedStep } from "../run-steps.js";
import { resolveSecrets, splitSecrets, writeStandInFiles } from "../sandboxing.js";
import { type RunContext, say } from "./context.js";

/** The agent, ready to start; `startError` when it cannot (its attempt then ends as exited). */
export interface PreparedAgent {
  command: { file: string; args: string[] };
  env: Record<string, string>;
  sandbox: RunSandbox | null;
  /** The ref copy its sandbox writes, taken in after it. */
  copy: RefCopy | null;
  startError: string | null;
}

/** What a person attached to the session reads first. */
export async function announceAttempt(ctx: RunContext): Promise<void> {
  const { store, spec } = ctx;
  store.updateRun(spec.runId, { supervisorPid: process.pid });
  store.markRunStarted(spec.runId);
  say(`task ${spec.taskId}, attempt ${spec.attempt} of ${spec.maxAttempts}, agent ${spec.profile}`);
  if (spec.stage) {
    say(`stage ${spec.stage.index + 1} of ${spec.stage.count}: ${spec.stage.role}`);
    // The stage's gate judges what changed since it started: the branch as its first attempt found it.
    const t = store.task(spec.taskId);
    if (t && t.stageStart === null)
      store.setStage(spec.taskId, t.stage, await resolveCommit(spec.repoRoot, `refs/heads/${spec.branch}`));
  }
  say(`branch ${spec.branch} in ${spec.worktree}`);
  say("detach with Ctrl-b d; the agent keeps working");
  if (spec.sandbox) {
    say(
      `sandbox: writes only in the worktree and its own folders of the run; network only to ${spec.sandbox.network.allowedDomains.join(", ") || "no host"}`,
    );
  } else {
    say("\x1b[31mSANDBOX OFF (sandbox.mode: none): this agent has your full access\x1b[0m");
  }
}

export async function prepareAgent(ctx: RunContext): Promise<PreparedAgent> {
  const { spec, paths } = ctx;
  const agent: PreparedAgent = {
    command: { file: spec.command[0] as string, args: spec.command.slice(1) },
    env: { ...spec.env },
    sandbox: null,
    copy: null,
    startError: null,
  };
  try {
    const prepared = await agentEnvironment(spec);
    agent.env = prepared.env;
    // On a runner, masked secrets stay at home: stand-ins here, their hosts through the tunnel.
    // Their code (and the protocol's zod schemas) loads only when the runner wrote their record.
    const onRunner = spec.sandbox && existsSync(join(spec.stateDir, REMOTE_MASKED_FILE));
    const remoteCode = onRunner ? await import("../remote/runner-masked.js") : null;
    const remote = remoteCode?.readRemoteMasked(spec.stateDir) ?? null;
    if (spec.sandbox) {
      agent.copy = await beforeSandboxedStep(spec.repoRoot, paths.dir, spec.branch, spec.sandbox.jj);
      const viaHome =
        remote && remoteCode ? remoteCode.remoteMaskedRun(spec.sandbox, remote, paths.dir) : null;
      agent.sandbox = await RunSandbox.start(viaHome?.policy ?? spec.sandbox, {
        runDir: paths.dir,
        tmp: spec.tmp,
        masked: prepared.masked,
      });
      // The agent, and what its home is seeded with, hold the stand-ins of masked secrets.
      Object.assign(agent.env, agent.sandbox.standIns(), viaHome?.env ?? {});
      writeStandInFiles(spec.home, [...agent.sandbox.standInFiles(), ...(remote?.files ?? [])]);
    }
    const secrets = Object.keys(spec.secrets).length > 0 || remote !== null || prepared.held;
    if (spec.sandbox && secrets && spec.role !== "reviewer")
      Object.assign(agent.env, await reseedHome(ctx, agent.env));
    if (agent.sandbox) agent.command = await agent.sandbox.wrapArgv(spec.command, spec.worktree);
  } catch (err) {
    agent.startError = (err as Error).message;
  }
  return agent;
}

/** Seeding again now that secrets are known: e.g. Claude Code must see its API key approved. */
async function reseedHome(ctx: RunContext, env: Record<string, string>): Promise<Record<string, string>> {
  const { project, spec } = ctx;
  const profile = resolveProfile(project.config, spec.profile);
  const realHome = process.env.HOME ?? spec.home;
  const seeded = await prepareAgentHome(profile, {
    home: spec.home,
    realHome,
    mcp: mcpForHome(await mcpSelection(project, profile, realHome)),
    worktree: spec.worktree,
    sandboxed: true,
    env,
  });
  return seeded.env;
}

/**
 * Default-deny: the run's base environment, the host variables its profile names, its passed
 * secrets. Masked secrets are returned apart: the agent gets their stand-ins, never the values.
 */
export async function agentEnvironment(
  spec: RunSpec,
): Promise<{ env: Record<string, string>; masked: MaskedSecret[]; held: boolean }> {
  const env: Record<string, string> = { ...spec.env };
  for (const name of spec.passEnv) {
    const v = process.env[name];
    if (v !== undefined) env[name] = v;
  }
  // On a runner with secrets_at: runner the values came from home, held in memory by runner-serve.
  const held = holdsRunnerSecrets(spec.stateDir)
    ? await (await import("../remote/runner-secrets.js")).runnerHeldSecrets(spec.stateDir, spec.profile)
    : null;
  const { passed, masked } = held ?? splitSecrets(spec.secrets, await resolveSecrets(spec, process.env));
  if (masked.length > 0 && !spec.sandbox) {
    throw new Error(`secret ${masked[0]?.name} is masked, which needs the sandbox (sandbox.mode is none)`);
  }
  return { env: { ...env, ...passed }, masked, held: held !== null };
}
