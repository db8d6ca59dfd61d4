/**
 * `ballador conductor install`: teaches a person's own agent session to be the conductor's
 * copyist. Claude Code gets a skill and the MCP server in .mcp.json (merged, other servers
 * kept); Codex and Gemini CLI get the same guide as a marked section of AGENTS.md and
 * GEMINI.md, replaced in place on a re-run. Everything is computed and checked before the
 * first write, so a refusal (a link, unreadable JSON, broken markers) leaves every file as it
 * was; a second run changes nothing and says so.
 */
import { readFileSync } from "node:fs";
import { relative } from "node:path";
import { ConfinedPathError, confinedPath, pathKind, writeConfined } from "../adapters/hostile/index.js";
import {
  type GuideInput,
  guideSection,
  SKILL_NAME,
  skillFile,
  upsertSection,
} from "../core/conductor-guide.js";
import type { Project } from "../project/index.js";
import { UserError } from "../project/index.js";

export const MCP_SERVER_ENTRY = { command: "ballador", args: ["mcp"] } as const;

export interface InstallResult {
  files: Array<{ path: string; change: "created" | "updated" | "unchanged"; what: string }>;
  changed: boolean;
}

/** What the conductor's guide says of this project: its folders, verify command and default agent. */
export function guideInput(project: Project): GuideInput {
  return {
    specsDir: relative(project.paths.root, project.paths.specsDir) || ".",
    partsDir: relative(project.paths.root, project.paths.partsDir) || ".",
    verify: project.config.verify,
    defaultAgent: project.config.agents.default,
  };
}

function mergeMcpJson(path: string, current: string | null): string {
  let data: Record<string, unknown> = {};
  if (current !== null && current.trim() !== "") {
    try {
      data = JSON.parse(current) as Record<string, unknown>;
    } catch (err) {
      throw new UserError(
        `${path} is not valid JSON (${(err as Error).message}); fix it, then run "ballador conductor install" again`,
      );
    }
    if (data === null || typeof data !== "object" || Array.isArray(data)) {
      throw new UserError(`${path}: expected a JSON object with "mcpServers"; fix it first`);
    }
  }
  const servers = data.mcpServers ?? {};
  if (servers === null || typeof servers !== "object" || Array.isArray(servers)) {
    throw new UserError(`${path}: "mcpServers" must be an object of servers; fix it first`);
  }
  const existing = (servers as Record<string, unknown>).ballador;
  if (current !== null && JSON.stringify(existing) === JSON.stringify(MCP_SERVER_ENTRY)) return current;
  const merged = {
    ...data,
    mcpServers: { ...(servers as Record<string, unknown>), ballador: MCP_SERVER_ENTRY },
  };
  return `${JSON.stringify(merged, null, 2)}\n`;
}

export function installConductor(project: Project): InstallResult {
  const root = project.paths.root;
  const g = guideInput(project);
  const plan: Array<{ rel: string; what: string; make: (current: string | null) => string }> = [
    {
      rel: `.claude/skills/${SKILL_NAME}/SKILL.md`,
      what: "Claude Code skill: the conductor's chamber",
      make: () => skillFile(g),
    },
    {
      rel: ".mcp.json",
      what: "the ballador MCP server, for Claude Code",
      make: (c) => mergeMcpJson(".mcp.json", c),
    },
    ...["AGENTS.md", "GEMINI.md"].map((rel) => ({
      rel,
      what: `the guide as Ballador's section (${rel === "AGENTS.md" ? "Codex and others" : "Gemini CLI"})`,
      make: (c: string | null) => {
        const next = upsertSection(c ?? "", guideSection(g));
        if (next === null) {
          throw new UserError(
            `${rel}: Ballador's section markers are broken (a start without its end, or more than one); remove the partial section, then run again`,
          );
        }
        return next;
      },
    })),
  ];
  const writes: Array<{
    path: string;
    rel: string;
    what: string;
    text: string;
    change: "created" | "updated" | "unchanged";
  }> = [];
  for (const item of plan) {
    let path: string;
    try {
      path = confinedPath(root, root, item.rel, { maxDepth: 4, label: item.rel, allowHidden: true });
    } catch (err) {
      if (err instanceof ConfinedPathError) throw new UserError(`nothing was written: ${err.message}`);
      throw err;
    }
    const kind = pathKind(path);
    if (kind !== "missing" && kind !== "file") {
      throw new UserError(
        `nothing was written: ${item.rel} is a ${kind}, not a file; remove it or make it a file`,
      );
    }
    const current = kind === "file" ? readFileSync(path, "utf8") : null;
    const text = item.make(current);
    writes.push({
      path,
      rel: item.rel,
      what: item.what,
      text,
      change: current === null ? "created" : current === text ? "unchanged" : "updated",
    });
  }
  for (const w of writes) if (w.change !== "unchanged") writeConfined(root, w.path, w.text);
  return {
    files: writes.map((w) => ({ path: w.rel, change: w.change, what: w.what })),
    changed: writes.some((w) => w.change !== "unchanged"),
  };
}
