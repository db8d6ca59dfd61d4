/**
 * The review brief: everything a person needs to judge a task's branch, in one markdown file
 * that can also be a pull request's body. Observed facts (git, verification runs, denials) are
 * kept apart from the agent's claims (its summary and notes).
 */

import { join, relative, resolve } from "node:path";
import { blobAt, changedFiles, git, resolveCommit } from "../adapters/git/index.js";
import { writeAtomic } from "../adapters/runfolder/index.js";
import { readDenials } from "../adapters/sandbox/index.js";
import type { NoteRow, RunRow, TaskRow } from "../adapters/store/index.js";
import { flakyCommits, tailMarkdown } from "../core/check-output.js";
import { isDashboardActor } from "../core/dashboard-session.js";
import { type PartVerifyOverride, partVerifyOverride } from "../core/part-verify.js";
import { inScope } from "../core/scope.js";
import { describeSecrets } from "../core/secrets.js";
import { verifiedByNothing } from "../core/unverified.js";
import { type DependencyChange, inlineCode } from "../core/verify-inputs.js";
import {
  branchFor,
  costOfRuns,
  isReviewerRun,
  type Project,
  requireTask,
  SPEC_MAX_BYTES,
  taskPipeline,
} from "../project/index.js";
import { ownChangedFiles, predictConflicts } from "./conflicts.js";
import { baseVerifyInputs, dependencyChangesBetween, verifyInputChanges } from "./verify-inputs.js";

export interface BriefData {
  task: string;
  branch: string;
  base: string;
  head: string | null;
  attempts: number;
  profiles: string[];
  /** Per profile that ran: which secrets it masks (for which hosts) and which it passes. */
  secrets: string[];
  summary: string | null;
  /** What the runs used, from the agent's own session records (a claim), e.g. "12.3k tokens, $0.42". */
  cost: string | null;
  notes: string[];
  /** What the sandbox saw the agent try (another branch moved, objects refused): observed. */
  violations: string[];
  /** Notes a person left (from the dashboard): not the agent's claims, not observed facts. */
  personNotes: string[];
  /** What people did to the task from the dashboard, by the name each session gave (issue 29). */
  dashboardActions: string[];
  verification: Array<{
    kind: string;
    command: string | null;
    passed: boolean;
    ms: number;
    commit: string | null;
    at: string;
    /** A failed check's output, its end only (bounded, escaped when kept); null when none was kept. */
    tail: string | null;
    /** The whole log of the check. */
    log: string | null;
  }>;
  /** Commits that both passed and failed Ballador's own verification (never the agent's gate). */
  flaky: string[];
  /** Its newest verification ran no verify command: nothing checked the work. */
  unverified: boolean;
  /** Verify inputs the branch changed ("Changes how tests run"), judged by the base's version. */
  tampered: string[];
  /** package.json dependencies added, removed or changed, base vs branch. */
  dependencies: DependencyChange[];
  diffStat: string;
  changed: string[];
  outsideScope: string[];
  /** `secret`: a masked secret's stand-in sent toward a host it is not for (not a refusal). */
  denials: Array<{ host: string; port: number | null; count: number; secret?: string }>;
  conflicts: string[];
  mergeOrder: string[];
  reviewer: string | null;
  /** Whether the branch changed the task's spec (living specs), and the diff stat of that file. */
  specChange: { path: string; changed: boolean; stat: string } | null;
  /** A pipeline's stages (issue 16): who played each, what they claimed, what each gate observed. */
  stages: BriefStage[];
  /** The part's own verify command when it is not the project's: `merge` asks to accept it. */
  partVerify: PartVerifyOverride | null;
}

export interface BriefStage {
  index: number;
  role: string;
  profiles: string[];
  /** The last summary a run of the stage gave: its claim. */
  claim: string | null;
  gates: Array<{
    passed: boolean;
    summary: string;
    commit: string | null;
    checks: Array<{ name: string; ok: boolean; detail: string }>;
  }>;
}

function briefStages(
  project: Project,
  task: TaskRow,
  runs: readonly RunRow[],
  notes: readonly NoteRow[],
): BriefStage[] {
  let pipeline: ReturnType<typeof taskPipeline>;
  try {
    pipeline = taskPipeline(project.config, task);
  } catch {
    return [];
  }
  if (!pipeline) return [];
  const gates = project.store().gates(task.id);
  return pipeline.stages.map((stage) => {
    const own = runs.filter((r) => r.stage === stage.role);
    const ids = new Set(own.map((r) => r.id));
    const claims = notes.filter((n) => n.runId !== null && ids.has(n.runId) && n.kind === "summary");
    const verdicts = notes.filter(
      (n) =>
        n.runId !== null && ids.has(n.runId) && n.kind === "system" && n.text.startsWith(`${stage.role}: `),
    );
    return {
      index: stage.index,
      role: stage.role,
      profiles: [...new Set(own.map((r) => r.profile))],
      claim: claims.at(-1)?.text ?? verdicts.at(-1)?.text ?? null,
      gates: gates
        .filter((g) => g.stage === stage.index)
        .map((g) => ({ passed: g.passed, summary: g.summary, commit: g.commit, checks: g.checks })),
    };
  });
}

/** The newest failed checks whose output was kept: more would crowd the brief (and a pull request's body). */
const BRIEF_TAILS = 3;

/** The end of each failed check's output (the newest few), fenced and escaped, with its whole log. */
function failedOutputs(checks: BriefData["verification"]): string[] {
  const failed = checks.filter((v) => !v.passed && (v.tail || v.log));
  const out: string[] = [];
  if (failed.length > BRIEF_TAILS)
    out.push("", `(${failed.length - BRIEF_TAILS} earlier failed checks: \`ballador show\` lists them)`);
  for (const v of failed.slice(-BRIEF_TAILS)) {
    out.push(
      "",
      `Output of the failed check on ${v.commit?.slice(0, 10) ?? "?"} (${v.kind === "clean" ? "Ballador, clean checkout" : v.kind === "merge" ? "merged result" : v.kind === "update" ? "updated branch" : "the agent's gate"}), its end:`,
      "",
      tailMarkdown(v.tail, v.log),
    );
  }
  return out;
}

function isViolation(text: string): boolean {
  return text.startsWith("sandbox violation") || text.startsWith("sandbox: ");
}

function section(text: string, heading: string): string | null {
  const m = new RegExp(`^##\\s+${heading}\\s*$([\\s\\S]*?)(?=^##\\s|$(?![\\s\\S]))`, "mi").exec(text);
  const body = m?.[1]?.replace(/<!--[\s\S]*?-->/g, "").trim();
  return body ? body : null;
}

export async function buildBrief(
  project: Project,
  taskId: string,
): Promise<{ markdown: string; data: BriefData }> {
  const store = project.store();
  const task = requireTask(project, taskId);
  const root = project.paths.root;
  const config = project.config;
  const branch = task.branch ?? branchFor(config, task.id);
  const head = await resolveCommit(root, branch);
  const base = config.base;
  const baseCommit = await resolveCommit(root, base);
  const runs = store.runsOf(task.id);
  const notes = store.notes(task.id);
  const verifications = store.verifications(task.id);
  const summary = [...notes].reverse().find((n) => n.kind === "summary")?.text ?? null;
  const flaky = flakyCommits(verifications);
  const changed = head && baseCommit ? await changedFiles(root, baseCommit, head).catch(() => []) : [];
  const diffStat =
    head && baseCommit
      ? (
          await git(["diff", "--stat", "--no-color", `${baseCommit}...${head}`], {
            cwd: root,
            allowFail: true,
          })
        ).stdout.trimEnd() // git indents every stat line: keep the first line's space
      : "";
  // Scope is judged on the task's own commits: a stacked branch also carries its dependencies'.
  const own = head ? await ownChangedFiles(project, task, head) : [];
  const outsideScope = task.scope.length > 0 ? own.filter((f) => !inScope(f, task.scope)) : [];
  const verify = task.verify || config.verify || "./verify.sh";
  const tampered =
    head && baseCommit
      ? (
          await verifyInputChanges(
            root,
            baseCommit,
            head,
            await baseVerifyInputs(root, baseCommit, verify, config.verify_inputs, config.bootstrap),
          )
        ).labels
      : [];
  const dependencies = head && baseCommit ? await dependencyChangesBetween(root, baseCommit, head) : [];
  const denialMap = new Map<string, { host: string; port: number | null; count: number; secret?: string }>();
  for (const r of runs) {
    for (const d of readDenials(r.runDir)) {
      const k = `${d.host}:${d.port}:${d.secret ?? ""}`;
      const cur = denialMap.get(k) ?? {
        host: d.host,
        port: d.port,
        count: 0,
        ...(d.secret ? { secret: d.secret } : {}),
      };
      cur.count++;
      denialMap.set(k, cur);
    }
  }
  const prediction = await predictConflicts(project, task.id);
  const specRel = task.spec ? relative(root, resolve(root, task.spec)) : null;
  let specChange: BriefData["specChange"] = null;
  if (specRel && head && baseCommit && !specRel.startsWith("..")) {
    const stat = changed.includes(specRel)
      ? (
          await git(["diff", "--stat", "--no-color", `${baseCommit}...${head}`, "--", specRel], {
            cwd: root,
            allowFail: true,
          })
        ).stdout.trimEnd()
      : "";
    specChange = { path: specRel, changed: changed.includes(specRel), stat };
  }
  const data: BriefData = {
    task: task.id,
    branch,
    base,
    head,
    attempts: new Set(
      runs.filter((r) => r.outcome !== "launch-failed" && !isReviewerRun(r)).map((r) => r.attempt),
    ).size,
    profiles: [...new Set(runs.map((r) => r.profile))],
    secrets: [...new Set(runs.map((r) => r.profile))].flatMap((name) => {
      const profile = project.config.agents.profiles[name];
      const line = profile ? describeSecrets(profile.secrets ?? {}) : null;
      return line ? [`${name}: ${line}`] : [];
    }),
    summary,
    cost: costOfRuns(runs, project.config.prices ?? {}).text,
    notes: notes
      .filter((n) => n.kind === "note" || (n.kind === "system" && !isViolation(n.text)))
      .map((n) => n.text),
    violations: notes.filter((n) => n.kind === "system" && isViolation(n.text)).map((n) => n.text),
    personNotes: notes
      .filter((n) => n.kind === "person")
      .map((n) => (n.author ? `${n.text} (${n.author})` : n.text)),
    dashboardActions: store
      .events(task.id)
      .filter((e) => isDashboardActor(e.actor))
      .map((e) => `${e.at} ${e.cause} (${e.from ?? "-"} -> ${e.to}), by ${e.actor}`),
    verification: verifications.map((v) => ({
      kind: v.kind,
      command: v.command,
      passed: v.passed,
      ms: v.ms,
      commit: v.commit,
      at: v.at,
      tail: v.tail,
      log: v.log,
    })),
    flaky,
    unverified: verifiedByNothing(verifications),
    tampered,
    dependencies,
    diffStat,
    changed,
    outsideScope,
    denials: [...denialMap.values()],
    conflicts: prediction.conflicts.map((c) => c.message),
    mergeOrder: prediction.mergeOrder,
    reviewer:
      notes
        .filter((n) => n.kind === "system" && n.text.startsWith("reviewer:"))
        .map((n) => n.text)
        .pop() ?? null,
    specChange,
    stages: briefStages(project, task, runs, notes),
    partVerify: partVerifyOverride(task.verify, config.verify),
  };

  // The spec as committed on the base, through git: a file in a checkout could be a link.
  const specBlob = task.spec ? await blobAt(root, base, task.spec, SPEC_MAX_BYTES) : null;
  const specText = specBlob && "text" in specBlob ? specBlob.text : null;
  const lines: string[] = [];
  lines.push(`# ${task.title}`, "");
  lines.push(
    `Task \`${task.id}\` on branch \`${branch}\`${head ? ` at ${head.slice(0, 10)}` : ""}, for \`${base}\`. ${data.attempts} attempt${data.attempts === 1 ? "" : "s"} by ${data.profiles.join(", ") || "no agent"}.`,
    "",
  );
  if (data.secrets.length) lines.push(...data.secrets.map((l) => `- ${l}`), "");
  lines.push("## The part", "", task.body || "(no description)", "");
  if (task.scope.length) lines.push(`Declared scope: ${task.scope.map((s) => `\`${s}\``).join(", ")}`, "");
  lines.push("## The spec", "");
  if (specText) {
    lines.push(`From \`${task.spec}\`:`, "");
    for (const h of ["Problem", "Decision"]) {
      const body = section(specText, h);
      if (body) lines.push(`**${h}.** ${body.split("\n").slice(0, 15).join("\n")}`, "");
    }
  } else {
    lines.push(
      task.spec && specBlob && "missing" in specBlob
        ? `\`${task.spec}\`: ${specBlob.missing}`
        : "This part names no spec.",
      "",
    );
  }
  if (specChange) {
    lines.push(
      specChange.changed
        ? `**This branch changed the spec:**\n\n\`\`\`\n${specChange.stat}\n\`\`\`\n`
        : "This branch did not change the spec (a living spec records what the work taught: check its Decision and History).\n",
    );
  }
  lines.push(
    "## What the agent says",
    "",
    "(the agent's own claims; the sections after this one are observed by Ballador)",
    "",
  );
  lines.push(summary ? `Summary: ${summary}` : "No summary given.", "");
  if (data.cost) lines.push(`Usage, from its own session records: ${data.cost}`, "");
  if (data.notes.length) for (const n of data.notes) lines.push(`- ${n}`);
  else lines.push("No notes.");
  lines.push("");
  if (data.personNotes.length) {
    lines.push("## The person's notes", "", "(left by a person on the dashboard)", "");
    for (const n of data.personNotes) lines.push(`- ${n}`);
    lines.push("");
  }
  if (data.dashboardActions.length) {
    lines.push("## Actions from the dashboard", "");
    for (const a of data.dashboardActions) lines.push(`- ${a}`);
    lines.push("");
  }
  lines.push("## Verification", "");
  if (data.partVerify) lines.push(...partVerifyLines(data.partVerify, task.id), "");
  if (data.unverified)
    lines.push(
      "**Unverified:** no verify command checked this work (no `verify:` in the config, no verify.sh on the base). Set one (`ballador doctor` suggests it), or `ballador merge` asks for `--unverified`.",
      "",
    );
  if (verifications.length === 0) lines.push("No verification recorded.");
  for (const v of data.verification) {
    lines.push(
      `- ${v.command === null ? "unverified: no verify command" : `${v.passed ? "passed" : "FAILED"}: \`${v.command}\``} (${v.kind === "gate" ? "run by the agent's `ballador done`" : v.kind === "clean" ? "Ballador, clean checkout" : "merged result"}) on ${v.commit?.slice(0, 10) ?? "?"}, ${(v.ms / 1000).toFixed(1)} s`,
    );
  }
  lines.push(...failedOutputs(data.verification));
  if (flaky.length)
    lines.push(
      "",
      `**Flaky:** the same commit both passed and failed Ballador's own verification: ${flaky.map((c) => c.slice(0, 10)).join(", ")}.`,
    );
  lines.push(...verifyChangeLines(tampered, data.dependencies));
  for (const st of data.stages) {
    lines.push("", `## Stage ${st.index + 1}: ${st.role}`, "");
    lines.push(`Who: ${st.profiles.length ? st.profiles.join(", ") : "not run yet"}.`, "");
    lines.push(`What they claimed: ${st.claim ?? "nothing yet"}`, "");
    if (st.gates.length === 0) lines.push("Gate: not reached yet.");
    for (const [i, g] of st.gates.entries()) {
      lines.push(
        `Gate${st.gates.length > 1 ? ` (round ${i + 1})` : ""}: ${g.passed ? "passed" : "REFUSED"}${g.commit ? ` on ${g.commit.slice(0, 10)}` : ""} (observed by Ballador):`,
      );
      for (const c of g.checks) lines.push(`- ${c.ok ? "ok" : "FAILED"}: ${c.name}: ${c.detail}`);
    }
  }
  lines.push("", "## Diff", "", "```", diffStat || "(no changes)", "```", "");
  if (task.scope.length) {
    lines.push(
      outsideScope.length
        ? `**Outside the declared scope:** ${outsideScope.map((f) => `\`${f}\``).join(", ")}`
        : "All changed files are within the declared scope.",
      "",
    );
  }
  lines.push("## Sandbox", "");
  if (data.violations.length) {
    lines.push(
      "**Sandbox violations** (observed by Ballador; the real refs and files were not changed):",
      "",
      ...data.violations.map((v) => `- ${v}`),
      "",
    );
  }
  lines.push(
    data.denials.length
      ? data.denials
          .map((d) =>
            d.secret
              ? `- the stand-in of masked secret ${d.secret} was sent to ${d.host}${d.port ? `:${d.port}` : ""} (${d.count}x), a host it is not for: it got the stand-in only`
              : `- denied ${d.host}${d.port ? `:${d.port}` : ""} (${d.count}x); allow with \`sandbox.allow_hosts\` if it was needed`,
          )
          .join("\n")
      : "No denied network requests.",
    "",
  );
  lines.push("## Predicted conflicts", "");
  lines.push(
    data.conflicts.length
      ? data.conflicts.map((c) => `- ${c}`).join("\n")
      : "None with other running or in-review branches.",
    "",
  );
  if (data.mergeOrder.length > 1) lines.push(`Suggested merge order: ${data.mergeOrder.join(" → ")}`, "");
  lines.push("## Reviewer", "", data.reviewer ?? "No reviewer profile has read this change.", "");
  return { markdown: lines.join("\n"), data };
}

export async function writeBrief(
  project: Project,
  taskId: string,
): Promise<{ path: string; markdown: string; data: BriefData }> {
  const { markdown, data } = await buildBrief(project, taskId);
  const run = project.store().latestRun(taskId);
  const path = join(run ? run.runDir : project.paths.stateDir, "brief.md");
  // A fresh file renamed into place: whatever is at the name (a link, under sandbox.mode: none,
  // where the agent writes anything) is replaced, never written through.
  writeAtomic(path, markdown);
  return { path, markdown, data };
}

/** Said first under Verification: what decided this task is not what the project decides by. */
function partVerifyLines(o: PartVerifyOverride, id: string): string[] {
  return [
    `**The part's own verify command decided this task:** \`${o.part}\`, not the project's ${o.project === null ? "(none set)" : `\`${o.project}\``}. \`ballador merge ${id}\` asks you to accept it with \`--accept-part-verify\`.`,
  ];
}

/** "Changes how tests run" and the dependency changes, for the brief (hostile names escaped). */
function verifyChangeLines(tampered: readonly string[], deps: readonly DependencyChange[]): string[] {
  const lines: string[] = [];
  if (tampered.length) {
    lines.push(
      "",
      "### Changes how tests run",
      "",
      "This branch changes what decides how its tests run. Ballador verified it with the base's version of each; the change itself is not verified: read it in the diff. `ballador merge` asks for `--accept-verify-change`.",
      "",
      ...tampered.map((t) => `- ${inlineCode(t)}`),
    );
  }
  if (deps.length) {
    lines.push("", "### Dependency changes", "");
    for (const d of deps) {
      const what =
        d.from === null
          ? `added ${inlineCode(d.name)} ${inlineCode(d.to ?? "")}`
          : d.to === null
            ? `removed ${inlineCode(d.name)} (was ${inlineCode(d.from)})`
            : `changed ${inlineCode(d.name)} ${inlineCode(d.from)} -> ${inlineCode(d.to)}`;
      lines.push(`- ${what} (${d.section})`);
    }
  }
  return lines;
}
