/** The tracker a source of the config names, ready to ask (gh found, the remote's repo read). */
import { findProgram } from "../adapters/agents/profiles.js";
import { git } from "../adapters/git/index.js";
import { shellTracker, type Tracker } from "../adapters/trackers/index.js";
import type { SourceConfig } from "../config/schema.js";
import { parseDuration } from "../core/duration.js";
import { type Project, UserError, usage } from "../project/index.js";
import { parseRemote } from "./tracker-names.js";

async function githubTarget(project: Project, cfg: { repo?: string; host?: string }) {
  if (cfg.repo) return { host: cfg.host ?? "github.com", repo: cfg.repo };
  const r = await git(["remote", "get-url", "--", project.config.remote], {
    cwd: project.paths.root,
    allowFail: true,
  });
  const parsed = r.code === 0 ? parseRemote(r.stdout.trim()) : null;
  if (!parsed)
    throw usage(
      "source_repo_unknown",
      `the remote ${project.config.remote} names no repository on a forge; set repo: OWNER/NAME (and host:) on the github source`,
    );
  return { host: cfg.host ?? parsed.host, repo: parsed.repo };
}

export async function openTrackerNow(project: Project, name: string, cfg: SourceConfig): Promise<Tracker> {
  if (cfg.type === "shell") {
    const t = cfg.timeout ?? {};
    return shellTracker({
      name,
      command: cfg.command,
      cwd: project.paths.root,
      env: process.env,
      timeouts: {
        list: parseDuration(t.list ?? "60s"),
        get: parseDuration(t.get ?? "30s"),
        mark: parseDuration(t.mark ?? "30s"),
      },
    });
  }
  if (cfg.type === "github") {
    const gh = findProgram("gh", project.paths.root);
    if (!gh)
      throw new UserError(
        "gh (GitHub CLI) is not installed; install it (https://cli.github.com) and run gh auth login",
      );
    const { githubTracker } = await import("../adapters/trackers/index.js");
    return githubTracker({ gh, ...(await githubTarget(project, cfg)), cwd: project.paths.root });
  }
  const { linearTracker } = await import("../adapters/trackers/index.js");
  const { readHostSecret } = await import("./host-secret.js");
  return linearTracker({
    url: cfg.url ?? "https://api.linear.app/graphql",
    apiKey: await readHostSecret(project, `sources.trackers.${name}.api_key`, cfg.api_key),
    team: cfg.team ?? null,
    ...(cfg.states ? { states: cfg.states } : {}),
  });
}
