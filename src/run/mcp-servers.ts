/**
 * Which of the person's Claude Code MCP servers reach a run of a profile (`mcp_servers:` in the
 * profile: names, or "all"; none by default), and the hosts they need. The definitions come from
 * the person's ~/.claude.json and the base commit's `.mcp.json`, never from a worktree.
 */
import {
  type McpServer,
  mcpHosts,
  personalMcpServers,
  projectMcpServers,
  startsClaude,
} from "../adapters/agents/claude-mcp.js";
import type { ResolvedProfile } from "../adapters/agents/profiles.js";
import { blobAt } from "../adapters/git/index.js";
import type { Project } from "../project/index.js";

export interface McpSelection {
  /** Every server configured, one per name (local over project over user, as Claude Code does). */
  available: McpServer[];
  /** Those the profile passes to its runs. */
  selected: McpServer[];
  /** Names the profile asks for that no scope defines. */
  missing: string[];
  /** Names in the base's `.mcp.json`: the run's Claude Code must not also load them from the worktree. */
  projectNames: string[];
  /** Hosts the selected servers are reached at. */
  hosts: string[];
}

const NONE: McpSelection = { available: [], selected: [], missing: [], projectNames: [], hosts: [] };

export async function mcpSelection(
  where: Project | { root: string; base: string },
  profile: Pick<ResolvedProfile, "preset" | "command" | "mcpServers">,
  realHome: string,
): Promise<McpSelection> {
  if (!startsClaude(profile)) return NONE;
  const root = "paths" in where ? where.paths.root : where.root;
  const base = "paths" in where ? where.config.base : where.base;
  const blob = await blobAt(root, base, ".mcp.json").catch(() => ({ missing: "" }));
  const fromProject = projectMcpServers("text" in blob ? blob.text : null);
  const byName = new Map<string, McpServer>();
  // Lowest precedence first: later scopes replace a name.
  const personal = personalMcpServers(realHome, root);
  for (const s of [
    ...personal.filter((x) => x.scope === "user"),
    ...fromProject,
    ...personal.filter((x) => x.scope === "local"),
  ])
    byName.set(s.name, s);
  const available = [...byName.values()];
  const wanted = profile.mcpServers;
  const selected = wanted === "all" ? available : available.filter((s) => wanted.includes(s.name));
  const missing = wanted === "all" ? [] : wanted.filter((n) => !byName.has(n));
  return {
    available,
    selected,
    missing,
    projectNames: fromProject.map((s) => s.name),
    hosts: mcpHosts(selected),
  };
}
