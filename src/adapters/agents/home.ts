/**
 * Preparing an agent's per-run HOME before it starts: agents keep their config there, and
 * first-run dialogs (onboarding, trust prompts) must not stop an unattended run. The person's
 * own config is read to seed it, never written.
 */
import type { ResolvedProfile } from "./profiles.js";

export interface AgentHomeContext {
  /** The run's HOME (inside the run folder when sandboxed; the real HOME when not). */
  home: string;
  /** The person's real HOME, to seed from. */
  realHome: string;
  worktree: string;
  /** True when the run is sandboxed (the agent may then be told it is). */
  sandboxed: boolean;
  /** The variables the agent will receive (names and values known to the launcher). */
  env: Readonly<Record<string, string | undefined>>;
}

/** Extra variables for the agent, e.g. IS_SANDBOX=1 for Claude Code inside the sandbox. */
export interface AgentHomeResult {
  env: Record<string, string>;
}

export async function prepareAgentHome(
  profile: ResolvedProfile,
  ctx: AgentHomeContext,
): Promise<AgentHomeResult> {
  void profile;
  void ctx;
  return { env: {} };
}
