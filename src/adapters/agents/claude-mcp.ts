/**
 * The MCP servers a person configured for Claude Code, by scope: user (`mcpServers` in
 * ~/.claude.json), local (`projects[<repo>].mcpServers` there) and project (`.mcp.json` of the
 * repository, read from the base commit by the caller, never from an agent's worktree).
 */
import { realpathSync } from "node:fs";
import { basename, join } from "node:path";
import { isObject, jsonOf, readPersonalJson } from "./home.js";
import { PRESETS, presetBinary } from "./presets.js";
import type { ResolvedProfile } from "./profiles.js";

export type McpScope = "user" | "local" | "project";

export interface McpServer {
  name: string;
  scope: McpScope;
  /** The definition as Claude Code reads it (command and args, or type and url). */
  config: Record<string, unknown>;
}

function serversOf(v: unknown, scope: McpScope): McpServer[] {
  if (!isObject(v)) return [];
  return Object.entries(v)
    .filter(
      (e): e is [string, Record<string, unknown>] => isObject(e[1]) && /^[A-Za-z0-9_.-]{1,100}$/.test(e[0]),
    )
    .map(([name, config]) => ({ name, scope, config }));
}

/** Whether a profile starts Claude Code (its preset's binary, or a command named claude). */
export function startsClaude(profile: Pick<ResolvedProfile, "preset" | "command">): boolean {
  const preset = profile.preset ? PRESETS[profile.preset] : undefined;
  return (preset ? presetBinary(preset) : basename(profile.command[0] ?? "")) === "claude";
}

/** The user- and local-scope servers of the person's ~/.claude.json (their own file). */
export function personalMcpServers(realHome: string, repoRoot: string): McpServer[] {
  const state = readPersonalJson(join(realHome, ".claude.json"));
  if (!state) return [];
  const out = serversOf(state.mcpServers, "user");
  const projects = isObject(state.projects) ? state.projects : {};
  const keys = new Set([repoRoot]);
  try {
    keys.add(realpathSync(repoRoot));
  } catch {
    // the path as given is the only key
  }
  for (const k of keys)
    out.push(...serversOf(isObject(projects[k]) ? projects[k].mcpServers : null, "local"));
  return out;
}

/** The project-scope servers of a `.mcp.json` text. */
export function projectMcpServers(text: string | null): McpServer[] {
  return serversOf(jsonOf(text)?.mcpServers, "project");
}

/** Host names of the servers reached over the network (http, sse): the run's allowlist needs them. */
export function mcpHosts(servers: readonly McpServer[]): string[] {
  const hosts = new Set<string>();
  for (const s of servers) {
    const url = s.config.url;
    if (typeof url !== "string") continue;
    try {
      const host = new URL(url).hostname.replace(/^\[|\]$/g, "");
      if (host) hosts.add(host);
    } catch {
      // not a URL: Claude Code will say so; nothing to allow
    }
  }
  return [...hosts];
}
