/** doctor's checks of the tool that makes a run's isolated tree: git worktrees or jj workspaces. */
import { dirname } from "node:path";
import { ownGitStore } from "../adapters/git/index.js";
import { atLeast, detectVcs, isColocated, JJ_MINIMUM, jjVersion } from "../adapters/jj/index.js";
import type { Config } from "../config/schema.js";
import type { Check } from "./doctor.js";

/** The nearest folder at or above `cwd` holding a `.jj` repository, or null. */
export function jjRootAbove(cwd: string): string | null {
  for (let dir = cwd; ; dir = dirname(dir)) {
    if (detectVcs(dir) === "jj") return dir;
    if (dirname(dir) === dir) return null;
  }
}

/** Which tool makes the isolated trees (`vcs`), and with jj, whether a new enough jj runs. */
export async function vcsCheck({ config, root }: { config: Config; root: string }): Promise<Check[]> {
  const found = detectVcs(root);
  const vcs = config.vcs ?? found;
  const why = config.vcs
    ? "vcs in the config"
    : found === "jj"
      ? "the repository has a .jj folder"
      : "default";
  if (vcs === "git" && ownGitStore(root) !== null)
    return [
      {
        name: "vcs",
        ok: false,
        detail: `vcs: git, but ${root} is a jj repository that is not colocated (its git store is .jj/repo/store/git): runs there must be jj workspaces`,
        fix: "set vcs: jj (or remove vcs: git) in .ballador/config.yaml",
      },
    ];
  if (vcs === "git") return [{ name: "vcs", ok: true, detail: `git worktrees (${why})` }];
  const version = await jjVersion();
  const where =
    found === "jj"
      ? isColocated(root)
        ? "colocated with git"
        : "not colocated: its git store is .jj/repo/store/git"
      : "no .jj folder here";
  if (!version)
    return [
      {
        name: "vcs",
        ok: false,
        detail: `jj (${why}), but no jj runs on PATH`,
        fix: `install jj ${JJ_MINIMUM} or newer, or set vcs: git`,
      },
    ];
  if (!atLeast(version, JJ_MINIMUM))
    return [
      {
        name: "vcs",
        ok: false,
        detail: `jj ${version} is older than ${JJ_MINIMUM}`,
        fix: `install jj ${JJ_MINIMUM} or newer, or set vcs: git`,
      },
    ];
  if (found !== "jj")
    return [
      {
        name: "vcs",
        ok: false,
        detail: `vcs: jj, but ${root} has no .jj folder`,
        fix: "run `jj git init --colocate` here, or set vcs: git",
      },
    ];
  if (config.sandbox.mode === "none")
    return [
      {
        name: "vcs",
        ok: false,
        detail: `Jujutsu ${version} (${why}; ${where}), but runs in jj workspaces need a sandbox`,
        fix: `set sandbox.mode: bwrap (or auto) in .ballador/config.yaml${ownGitStore(root) === null ? ", or set vcs: git" : ""}`,
      },
    ];
  return [
    {
      name: "vcs",
      ok: true,
      detail: `Jujutsu ${version} (${why}; ${where}): each run gets a jj workspace (docs/jujutsu.md)`,
    },
  ];
}
