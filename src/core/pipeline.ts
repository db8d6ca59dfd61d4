/**
 * Roles and pipelines (issue 16): a part's work done by specialised roles in turn (a test author,
 * an implementer, a refactorer, a security auditor), each stage a run of its own, the verify
 * command and Ballador's host-side checks the gate between them. Pure: which stages a part has,
 * who plays each, what each is told, and what a gate's observed facts mean. Reading git and
 * running verify are the use cases' job (project/pipeline.ts, verify/stage-gates.ts).
 */
import { inScope } from "./scope.js";

/** What a stage's gate checks, by the built-in role it is (or is like). */
export type StageKind = "tests" | "build" | "refactor" | "audit";

export const BUILTIN_ROLES = ["test-author", "implementer", "refactorer", "security-auditor"] as const;
export type BuiltinRole = (typeof BUILTIN_ROLES)[number];

const KIND_OF: Record<BuiltinRole, StageKind> = {
  "test-author": "tests",
  implementer: "build",
  refactorer: "refactor",
  "security-auditor": "audit",
};

/** The built-in pipelines; a config's pipeline of the same name replaces it. */
export const BUILTIN_PIPELINES: Readonly<Record<string, { stages: string[]; pauseAfter: string[] }>> = {
  tdd: { stages: ["test-author", "implementer", "security-auditor"], pauseAfter: [] },
};

export interface RoleSettings {
  like?: BuiltinRole | undefined;
  profile?: string | undefined;
  prompt?: string | undefined;
  paths?: string[] | undefined;
}

/** The parts of a config this module reads (a structural subset of Config). */
export interface PipelineConfigView {
  tests: readonly string[];
  roles: Readonly<Record<string, RoleSettings>>;
  pipelines: Readonly<
    Record<string, string | string[] | { stages: string[]; pause_after?: string | string[] | undefined }>
  >;
  reviewer: string | null;
  agents: { default: string };
}

export interface Stage {
  index: number;
  role: string;
  kind: StageKind;
  /** The profile that plays it; null: the part's agent (or agents.default). */
  profile: string | null;
  prompt: string | null;
  /** Globs the role may change; null: anything its gate allows. */
  paths: string[] | null;
  /** A person checks the work after this stage (the task waits in review). */
  pauseAfter: boolean;
}

export interface Pipeline {
  /** The pipeline's name, or null for a list given in the part. */
  name: string | null;
  stages: Stage[];
}

/** The part's own words: `pipeline: tdd` or `pipeline: [test-author, implementer]`, and `pause_after`. */
export interface PartPipeline {
  pipeline: string | string[] | null;
  pauseAfter: string[] | null;
}

function list(v: string | string[] | undefined | null): string[] {
  return v === undefined || v === null ? [] : typeof v === "string" ? [v] : v;
}

export function isBuiltinRole(name: string): name is BuiltinRole {
  return (BUILTIN_ROLES as readonly string[]).includes(name);
}

/** The built-in role a role is, or is like; null for an unknown role. */
export function baseRole(config: PipelineConfigView, role: string): BuiltinRole | null {
  if (isBuiltinRole(role)) return role;
  return config.roles[role]?.like ?? null;
}

function namedPipeline(
  config: PipelineConfigView,
  name: string,
): { stages: string[]; pauseAfter: string[] } | null {
  const v = name === "default" ? undefined : config.pipelines[name];
  if (v === undefined) return BUILTIN_PIPELINES[name] ?? null;
  if (typeof v === "string") return null; // only `default` names another pipeline
  if (Array.isArray(v)) return { stages: v, pauseAfter: [] };
  return { stages: v.stages, pauseAfter: list(v.pause_after) };
}

/** The pipeline a part without `pipeline:` gets: the config's `pipelines.default`, else none. */
export function defaultPipelineName(config: PipelineConfigView): string | null {
  const d = config.pipelines.default;
  return typeof d === "string" ? d : null;
}

/**
 * The stages of a part, or null when it runs as today (one agent, no pipeline). Throws with a
 * message naming the field when the part names what the config does not have.
 */
export function resolvePipeline(config: PipelineConfigView, part: PartPipeline): Pipeline | null {
  const given = part.pipeline ?? defaultPipelineName(config);
  if (given === null) {
    if (part.pauseAfter && part.pauseAfter.length > 0)
      throw new Error(
        "pause_after: the part has no pipeline; name one (pipeline: tdd) or remove pause_after",
      );
    return null;
  }
  let name: string | null = null;
  let roles: string[];
  let pauseAfter: string[];
  if (typeof given === "string") {
    const found = namedPipeline(config, given);
    if (!found) {
      const known = [...new Set([...Object.keys(BUILTIN_PIPELINES), ...pipelineNames(config)])];
      throw new Error(
        `pipeline: no pipeline "${given}"; known pipelines: ${known.join(", ")} (or a list of roles)`,
      );
    }
    name = given;
    roles = found.stages;
    pauseAfter = found.pauseAfter;
  } else {
    roles = given;
    pauseAfter = [];
  }
  if (roles.length === 0) throw new Error("pipeline: an empty list; name at least one role");
  // The part's own pause_after replaces the pipeline's.
  if (part.pauseAfter !== null) pauseAfter = part.pauseAfter;
  const stages: Stage[] = roles.map((role, index) => {
    const base = baseRole(config, role);
    if (!base) throw new Error(`pipeline: no role "${role}"; ${roleHint(config)}`);
    const settings = config.roles[role] ?? {};
    return {
      index,
      role,
      kind: KIND_OF[base],
      profile: settings.profile ?? (base === "security-auditor" ? config.reviewer : null),
      prompt: settings.prompt ?? null,
      paths: settings.paths ?? (base === "test-author" ? [...config.tests] : null),
      pauseAfter: false,
    };
  });
  for (const p of pauseAfter) {
    const stage = stages.find((s) => s.role === p);
    if (!stage) throw new Error(`pause_after: "${p}" is not a stage of this pipeline (${roles.join(" → ")})`);
    stage.pauseAfter = true;
  }
  return { name, stages };
}

function pipelineNames(config: PipelineConfigView): string[] {
  return Object.keys(config.pipelines).filter((n) => n !== "default");
}

function roleHint(config: PipelineConfigView): string {
  const own = Object.keys(config.roles).filter((r) => !isBuiltinRole(r));
  return `roles are ${[...BUILTIN_ROLES, ...own].join(", ")} (a role of your own needs roles.NAME.like in .ballador/config.yaml)`;
}

/** Problems of the config's roles and pipelines, as [key, message] pairs (for the config loader). */
export function pipelineConfigProblems(
  config: PipelineConfigView,
  profiles: readonly string[],
): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [name, role] of Object.entries(config.roles)) {
    if (!isBuiltinRole(name) && !role.like)
      out.push([
        `roles.${name}`,
        `"${name}" is not a built-in role (${BUILTIN_ROLES.join(", ")}); say which it is like: like: implementer`,
      ]);
    if (role.profile && !profiles.includes(role.profile))
      out.push([
        `roles.${name}.profile`,
        `names profile "${role.profile}", which is not defined under agents.profiles`,
      ]);
  }
  for (const [name, value] of Object.entries(config.pipelines)) {
    if (name === "default") {
      if (typeof value !== "string") {
        out.push([
          "pipelines.default",
          "the name of the pipeline parts get when they name none (e.g. default: tdd)",
        ]);
      } else if (!namedPipeline(config, value)) {
        out.push([
          "pipelines.default",
          `names pipeline "${value}", which is not defined (known: ${[...Object.keys(BUILTIN_PIPELINES), ...pipelineNames(config)].join(", ")})`,
        ]);
      }
      continue;
    }
    if (typeof value === "string") {
      out.push([`pipelines.${name}`, "a list of roles, or { stages: [...], pause_after: ROLE }"]);
      continue;
    }
    try {
      resolvePipeline(config, { pipeline: name, pauseAfter: null });
    } catch (err) {
      out.push([`pipelines.${name}`, (err as Error).message.replace(/^pipeline: /, "")]);
    }
  }
  return out;
}

/** The profile that plays a stage: the role's, else the part's agent, else agents.default. */
export function stageProfile(
  stage: Pick<Stage, "profile">,
  partAgent: string | null,
  defaultProfile: string,
): string {
  return stage.profile ?? partAgent ?? defaultProfile;
}

/** What each built-in role is told, on top of the part (its own section of the prompt). */
const ROLE_PROMPTS: Record<StageKind, string[]> = {
  tests: [
    "You are the **test author**. Nobody has implemented this part yet, and you must not: write the tests (and fixtures) that codify the part's acceptance criteria, so that an implementer who makes them pass has done exactly what the part asks.",
    "- Change only test code. Ballador's gate refuses your work if you touch any file outside the test paths below.",
    "- Your tests must FAIL on the code as it is now: a test that already passes codifies nothing. Ballador runs the verify command on a clean checkout of your last commit and requires it to fail.",
    "- `ballador done` does not run the verify command for you (it is expected to fail); commit, then report done.",
  ],
  build: [
    "You are the **implementer**. Make the part's tests pass with a clean, minimal implementation.",
    "- The tests the test author wrote are the specification: do not change them, not even a byte. Ballador's gate compares them with the test author's version and sends the work back if they differ. You may add tests of your own.",
    "- Your work passes when the verify command passes on a clean checkout of your last commit.",
  ],
  refactor: [
    "You are the **refactorer**. Improve the structure of the code toward the part's stated goal without changing what it does.",
    "- Do not change any test: Ballador's gate refuses the work if a test file changed.",
    "- The verify command passed before you started and must pass after.",
  ],
  audit: [
    "You are the **security auditor**. Read the change for security problems: injection, unsafe input handling, secrets, path traversal, unsafe defaults, missing checks.",
  ],
};

export interface StagePromptInput {
  stage: Pick<Stage, "index" | "role" | "kind" | "prompt" | "paths">;
  /** Every stage's role, in order. */
  roles: readonly string[];
  tests: readonly string[];
  /** What earlier stages reported (their summaries), oldest first. */
  earlier: ReadonlyArray<{ role: string; summary: string | null }>;
}

/** The stage's section of an agent's prompt: who it is in the pipeline and what its gate checks. */
export function stagePromptSection(input: StagePromptInput): string[] {
  const { stage } = input;
  const out: string[] = [
    `## Your role: ${stage.role} (stage ${stage.index + 1} of ${input.roles.length}: ${input.roles.join(" → ")})`,
    "",
    ...ROLE_PROMPTS[stage.kind],
  ];
  if (stage.paths) out.push(`- The paths you may change: ${stage.paths.map((p) => `\`${p}\``).join(", ")}.`);
  if (stage.kind !== "tests" && input.tests.length > 0)
    out.push(`- Test code here is: ${input.tests.map((p) => `\`${p}\``).join(", ")}.`);
  if (stage.prompt) out.push("", stage.prompt.trim());
  if (input.earlier.length > 0) {
    out.push("", "What the earlier stages reported (their claims; the branch holds their work):");
    for (const e of input.earlier) out.push(`- ${e.role}: ${e.summary ?? "(no summary)"}`);
  }
  out.push("");
  return out;
}

/** One fact a gate observed. */
export interface GateCheck {
  name: string;
  ok: boolean;
  detail: string;
}

export interface GateOutcome {
  passed: boolean;
  checks: GateCheck[];
  /** One line: what failed (or that every check passed). */
  summary: string;
}

export function gateOutcome(checks: GateCheck[]): GateOutcome {
  const failed = checks.filter((c) => !c.ok);
  return {
    passed: failed.length === 0,
    checks,
    summary:
      failed.length === 0
        ? checks.map((c) => c.name).join("; ")
        : failed.map((c) => `${c.name}: ${c.detail}`).join("; "),
  };
}

function few(files: readonly string[]): string {
  const shown = files.slice(0, 10).join(", ");
  return files.length > 10 ? `${shown} (and ${files.length - 10} more)` : shown;
}

/** The test author's change: some test changed, and nothing outside the role's paths. */
export function testAuthorChecks(
  changed: readonly string[],
  tests: readonly string[],
  paths: readonly string[],
): GateCheck[] {
  const testFiles = changed.filter((f) => inScope(f, tests));
  const outside = changed.filter((f) => !inScope(f, paths));
  return [
    {
      name: "new or changed tests",
      ok: testFiles.length > 0,
      detail: testFiles.length > 0 ? few(testFiles) : `no file matching ${tests.join(", ")} changed`,
    },
    withinPaths("only test paths changed", outside, paths),
  ];
}

/** A role's paths, when it has some: every file its stage changed is within them. */
export function pathsCheck(changed: readonly string[], paths: readonly string[]): GateCheck {
  return withinPaths(
    "only the role's paths changed",
    changed.filter((f) => !inScope(f, paths)),
    paths,
  );
}

/** The check that nothing changed outside `paths` (`outside`: the changed files that are). */
function withinPaths(name: string, outside: readonly string[], paths: readonly string[]): GateCheck {
  return {
    name,
    ok: outside.length === 0,
    detail:
      outside.length === 0
        ? `all within ${paths.join(", ")}`
        : `changed outside ${paths.join(", ")}: ${few(outside)}`,
  };
}

/** The test author's files as it left them (blob ids; null: it deleted the file), against now. */
export function protectedCheck(
  recorded: ReadonlyArray<{ path: string; blob: string | null }>,
  now: ReadonlyMap<string, string | null>,
): GateCheck {
  const changed = recorded.filter((r) => (now.get(r.path) ?? null) !== r.blob).map((r) => r.path);
  return {
    name: "the test author's files unchanged",
    ok: changed.length === 0,
    detail:
      changed.length === 0
        ? recorded.length === 0
          ? "no test author's files to keep"
          : `${recorded.length} file(s) byte-for-byte as the test author left them`
        : `changed: ${few(changed)}`,
  };
}

/**
 * Only the test author (or the person) changes how tests run: a later stage's change to a verify
 * input (conftest.py, vitest.config.ts, the scripts verify reaches) refuses its gate, named.
 */
export function verifyInputsCheck(changed: readonly string[]): GateCheck {
  return {
    name: "how tests run unchanged",
    ok: changed.length === 0,
    detail:
      changed.length === 0
        ? "no file that decides how tests run changed"
        : `changed: ${few(changed)} (these decide how tests run; leave them as the stage found them)`,
  };
}

/** The refactorer changes no test. */
export function testsUnchangedCheck(changed: readonly string[], tests: readonly string[]): GateCheck {
  const touched = changed.filter((f) => inScope(f, tests));
  return {
    name: "no test changed",
    ok: touched.length === 0,
    detail: touched.length === 0 ? "no test file changed" : `changed: ${few(touched)}`,
  };
}

/** What the agent of a stage is told when its gate refused the work. */
export function gateFeedback(role: string, outcome: GateOutcome): string {
  const failed = outcome.checks.filter((c) => !c.ok);
  return [
    `Ballador's gate for your stage (${role}) refused the work. What it observed:`,
    "",
    ...failed.map((c) => `- ${c.name}: ${c.detail}`),
    "",
    "Fix it on this branch, commit, and report with ballador done again.",
  ].join("\n");
}

/** The stage a send-back goes to from an audit: the nearest implementer or refactorer before it. */
export function sendBackTarget(stages: readonly Pick<Stage, "index" | "kind">[], from: number): number {
  for (let i = from - 1; i >= 0; i--) {
    const s = stages[i];
    if (s && (s.kind === "build" || s.kind === "refactor")) return i;
  }
  return Math.max(0, from - 1);
}
