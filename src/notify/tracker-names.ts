/** A task source's config, this Ballador's name in claim markers, a remote's repository: no tracker loaded. */
import { hostname } from "node:os";
import type { SourceConfig } from "../config/schema.js";
import { notFound, type Project } from "../project/index.js";

export interface WritesSent {
  sent: Array<{ task: string; state: string }>;
  failed: Array<{ task: string; state: string; error: string }>;
}

export function sourceConfig(project: Project, name: string): SourceConfig {
  const trackers = project.config.sources.trackers;
  const cfg = trackers[name];
  if (!cfg) {
    const known = Object.keys(trackers);
    throw notFound(
      "source_not_found",
      `no source "${name}" in sources.trackers of .ballador/config.yaml (${known.length ? `configured: ${known.join(", ")}` : "none configured; see docs/sources.md"})`,
    );
  }
  return cfg;
}

/** This Ballador's name in claim markers: the config's, else the host's (cleaned to the label alphabet). */
export function instanceId(project: Project): string {
  return (
    project.config.sources.instance ??
    (hostname()
      .replace(/[^A-Za-z0-9._-]/g, "-")
      .slice(0, 35) ||
      "ballador")
  );
}

/** OWNER/NAME and host of the remote's URL (https, ssh or scp-like), or null. */
export function parseRemote(url: string): { host: string; repo: string } | null {
  const m =
    /^(?:https?|ssh|git):\/\/(?:[^@/]+@)?([A-Za-z0-9.-]+)(?::\d+)?\/([A-Za-z0-9._-]+)\/([A-Za-z0-9._-]+?)(?:\.git)?\/?$/.exec(
      url,
    ) ?? /^(?:[^@/]+@)?([A-Za-z0-9.-]+):([A-Za-z0-9._-]+)\/([A-Za-z0-9._-]+?)(?:\.git)?$/.exec(url);
  if (!m) return null;
  return { host: m[1] as string, repo: `${m[2]}/${m[3]}` };
}
