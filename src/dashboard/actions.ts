/**
 * The page's lifecycle actions, each through the same use case (and so the same checks and
 * errors) as the CLI, recorded in the task's history under the session's name (issue 29).
 */
import { openProject, type Project, UserError } from "../project/index.js";

type ActionResult = { message: string; result: unknown };

/** A person's action, through the same use case (and so the same checks and errors) as the CLI. */
export async function act(
  cwd: string,
  action: string,
  id: string | null,
  actor: string,
  text?: string,
): Promise<ActionResult> {
  // A fresh project per action: it reads the config as it is now, like a CLI command would.
  const project = await openProject(cwd);
  // With task sources, a state this action changes is told to the tracker before it answers.
  const notify =
    Object.keys(project.config.sources.trackers).length > 0 ? await import("../notify/index.js") : null;
  notify?.watchTrackerWrites(project);
  try {
    if (action === "launch") return await launchAction(project, id, actor);
    const task = id as string;
    if (action === "stop") return await stopAction(project, task, actor);
    if (action === "abandon") return await abandonAction(project, task, actor);
    if (action === "resume" || action === "retry" || action === "request-changes")
      return await startAgain(project, cwd, action, task, actor, text);
    return await deliverAction(project, action, task, actor);
  } finally {
    await notify?.settleTrackerWrites().catch(() => undefined);
    project.close();
  }
}

/** Launch one task, or every ready one; refused (with every line) when nothing asked for started. */
async function launchAction(project: Project, id: string | null, actor: string): Promise<ActionResult> {
  const { launch } = await import("../run/index.js");
  const r = await launch(project, { tasks: id ? [id] : [], actor });
  const lines = [
    ...r.started.map((s) => `started ${s.id} with ${s.profile} on ${s.branch}`),
    ...r.warnings.map((w) => `warning: ${w}`),
    ...r.failed.map((f) => `failed ${f.id}: ${f.reason}`),
    ...r.deferred.map((d) => `waiting ${d.id}: ${d.why}`),
  ];
  if (r.started.length === 0 && r.failed.length === 0 && r.deferred.length === 0)
    lines.push("Nothing to start now.");
  if (r.started.length === 0 && (r.failed.length > 0 || id))
    throw new UserError(lines[0] ?? "nothing started", 1, lines.slice(1));
  return { message: lines.join("\n"), result: r };
}

async function stopAction(project: Project, task: string, actor: string): Promise<ActionResult> {
  const { stop } = await import("../run/index.js");
  const r = await stop(project, task, actor);
  return { message: `Stopped ${task}; worktree kept${r.worktree ? ` at ${r.worktree}` : ""}.`, result: r };
}

async function abandonAction(project: Project, task: string, actor: string): Promise<ActionResult> {
  const { abandon } = await import("../run/index.js");
  const r = await abandon(project, task, actor);
  return { message: `Abandoned ${task}; its worktree and branch are kept.`, result: r };
}

/** resume, retry and request-changes: a new session of the task, said attempt by attempt. */
async function startAgain(
  project: Project,
  cwd: string,
  action: "resume" | "retry" | "request-changes",
  task: string,
  actor: string,
  text: string | undefined,
): Promise<ActionResult> {
  const lifecycle = await import("../run/index.js");
  // The same checks as the CLI's: empty or too long is refused, nothing recorded.
  const message = action === "request-changes" ? lifecycle.requestText({ text: text ?? "", cwd }) : null;
  const r =
    action === "resume"
      ? await lifecycle.resume(project, task, actor)
      : (await lifecycle.retry(project, task, { launch: true, actor, message, verb: action })).launched;
  const started = r?.started ?? [];
  const failed = (r?.failed ?? []).map((f) => `failed ${f.id}: ${f.reason}`);
  const deferred = (r?.deferred ?? []).map((d) => `not started now: ${d.why}`);
  if (started.length === 0 && action === "resume")
    throw new UserError(
      failed[0] ?? deferred[0] ?? `${task} did not start`,
      1,
      [...failed, ...deferred].slice(1),
    );
  const verb =
    action === "resume" ? "Resumed" : action === "retry" ? "Retrying" : "Changes requested; retrying";
  return {
    message: [...started.map((s) => `${verb} ${s.id}: attempt ${s.attempt} started.`), ...failed, ...deferred]
      .join("\n")
      .trim(),
    result: r,
  };
}

/** merge, or (any other action the server routes here) open a pull request. */
async function deliverAction(
  project: Project,
  action: string,
  task: string,
  actor: string,
): Promise<ActionResult> {
  const delivery = await import("../deliver/index.js");
  if (action === "merge") {
    const r = await delivery.merge(project, task, { actor });
    return {
      message: `Merged ${task} into ${r.base} at ${r.commit.slice(0, 10)}${r.verified ? ", verified" : ""}.${r.unblocked.length ? ` Now ready: ${r.unblocked.join(", ")}.` : ""}`,
      result: r,
    };
  }
  const r = await delivery.openPullRequest(project, task, {});
  return { message: `Pull request for ${task}: ${r.url}`, result: r };
}
