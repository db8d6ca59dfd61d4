/**
 * A run folder laid out by hand (no project, no store) for tests that start the sandbox adapter
 * directly and expect it to refuse: the masked-secret checks it makes before anything runs.
 *
 *   await expect(startMaskedSandbox(dir, { upstreamCa: [caFile] })).rejects.toThrow(/.../);
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildPolicy, type PolicyInput, RunSandbox } from "../../src/adapters/sandbox/index.js";

/** Starts an agent's sandbox in `dir` holding one masked secret for 127.0.0.1; `more` is laid over the policy. */
export function startMaskedSandbox(dir: string, more: Partial<PolicyInput> = {}): Promise<RunSandbox> {
  for (const d of ["wt", "run", "state", "common", "common/worktrees/wt"])
    mkdirSync(join(dir, d), { recursive: true });
  writeFileSync(join(dir, "run", "run.json"), "{}");
  const policy = buildPolicy({
    kind: "agent",
    worktree: join(dir, "wt"),
    runDir: join(dir, "run"),
    stateDir: join(dir, "state"),
    shimDir: join(dir, "state", "bin"),
    worktreeRoot: join(dir, "wts"),
    gitCommonDir: join(dir, "common"),
    gitWorktreeDir: join(dir, "common", "worktrees", "wt"),
    branch: "ballador/x",
    allowHosts: ["127.0.0.1"],
    allowWrite: [],
    denyRead: [],
    ...more,
  });
  return RunSandbox.start(policy, {
    runDir: join(dir, "run"),
    tmp: join(dir, "run", "tmp"),
    masked: [{ name: "API_TOKEN", value: "v", hosts: ["127.0.0.1"] }],
  });
}
