/**
 * The review brief's text from its gathered facts (verify/brief.ts gathers them): one markdown
 * file a person judges a task's branch by, also a pull request's body. Observed facts (git,
 * verification runs, denials) are kept apart from the agent's claims (its summary and notes).
 * Agent-written text keeps the escaping and fences it has always had here: failed checks'
 * output through tailMarkdown, verify inputs' and dependencies' names through inlineCode. Pure.
 */

import { tailMarkdown } from "./check-output.js";
import type { PartVerifyOverride } from "./part-verify.js";
import { type DependencyChange, inlineCode } from "./verify-inputs.js";

export interface BriefData {
  task: string;
  /** A jj run's change as it evolved (`jj evolog` at the agent's last operation), newest first. */
  evolution?: string[];
  branch: string;
  base: string;
  head: string | null;
  /** The commit the task's work starts from (its merge base with the base; kept once merged). */
  fork: string | null;
  /** When the task merged and the commit the base moved to, or null (issue 34). */
  merged: { commit: string; at: string } | null;
  attempts: number;
  profiles: string[];
  /** Where its runs ran, when any was on a runner (spec 0013): runner names, "local" for this machine. */
  runners?: string[];
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
  denials: BriefDenial[];
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

export interface BriefDenial {
  host: string;
  port: number | null;
  count: number;
  secret?: string;
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

/** Everything the brief says, gathered once: the data (also shown as JSON) and the part as queued. */
export interface BriefFacts {
  data: BriefData;
  part: { title: string; body: string; scope: readonly string[]; spec: string | null };
  /** The spec as committed on the base (read through git), or why it could not be; null: no spec named. */
  spec: { text: string } | { missing: string } | null;
}

/** A note the sandbox wrote about what it saw the agent try (observed, not claimed). */
export function isViolation(text: string): boolean {
  return text.startsWith("sandbox violation") || text.startsWith("sandbox: ");
}

/** One denial per host, port and secret, counted. */
export function countDenials(
  denials: Iterable<{ host: string; port: number | null; secret?: string | null }>,
): BriefDenial[] {
  const byKey = new Map<string, BriefDenial>();
  for (const d of denials) {
    const k = `${d.host}:${d.port}:${d.secret ?? ""}`;
    const cur = byKey.get(k) ?? {
      host: d.host,
      port: d.port,
      count: 0,
      ...(d.secret ? { secret: d.secret } : {}),
    };
    cur.count++;
    byKey.set(k, cur);
  }
  return [...byKey.values()];
}

/** The body of a spec's `## heading` section, its comments dropped; null when absent or empty. */
export function specSectionBody(text: string, heading: string): string | null {
  const m = new RegExp(`^##\\s+${heading}\\s*$([\\s\\S]*?)(?=^##\\s|$(?![\\s\\S]))`, "mi").exec(text);
  const body = m?.[1]?.replace(/<!--[\s\S]*?-->/g, "").trim();
  return body ? body : null;
}

/** The brief's markdown: its sections in their fixed order. */
export function renderBrief(facts: BriefFacts): string {
  const { data, part } = facts;
  return [
    ...headerLines(facts),
    ...partLines(part),
    ...specLines(facts),
    ...agentSaysLines(data),
    ...personLines(data),
    ...verificationLines(data),
    ...data.stages.flatMap(stageLines),
    ...diffLines(data, part.scope),
    ...evolutionLines(data),
    ...sandboxLines(data),
    ...conflictLines(data),
    "## Reviewer",
    "",
    data.reviewer ?? "No reviewer profile has read this change.",
    "",
  ].join("\n");
}

/** A jj change's earlier versions (their descriptions are the agent's: each an inline code span). */
function evolutionLines(data: BriefData): string[] {
  if (!data.evolution?.length) return [];
  return [
    "## Evolution",
    "",
    "The change's versions as the agent's jj recorded them (`jj evolog`), newest first:",
    "",
    ...data.evolution.map((l) => `- ${inlineCode(l)}`),
    "",
  ];
}

function headerLines({ data, part }: BriefFacts): string[] {
  const lines = [
    `# ${part.title}`,
    "",
    `Task \`${data.task}\` on branch \`${data.branch}\`${data.head ? ` at ${data.head.slice(0, 10)}` : ""}, for \`${data.base}\`. ${data.attempts} attempt${data.attempts === 1 ? "" : "s"} by ${data.profiles.join(", ") || "no agent"}.`,
    "",
  ];
  if (data.runners?.some((r) => r !== "local"))
    lines.push(
      `Ran on ${data.runners.map((r) => (r === "local" ? "this machine" : `runner \`${r}\``)).join(", ")}: its clean verification there is the runner's, and merge verifies at home.`,
      "",
    );
  if (data.merged)
    lines.push(
      `Merged into \`${data.base}\` at ${data.merged.commit.slice(0, 10)} on ${data.merged.at}; changes below are its own, from ${data.fork?.slice(0, 10) ?? "its fork point"}.`,
      "",
    );
  if (data.secrets.length) lines.push(...data.secrets.map((l) => `- ${l}`), "");
  return lines;
}

function partLines(part: BriefFacts["part"]): string[] {
  const lines = ["## The part", "", part.body || "(no description)", ""];
  if (part.scope.length) lines.push(`Declared scope: ${part.scope.map((s) => `\`${s}\``).join(", ")}`, "");
  return lines;
}

/** The spec's Problem and Decision (their first lines), or why there are none; then whether the branch changed it. */
function specLines({ part, spec, data }: BriefFacts): string[] {
  const lines = ["## The spec", ""];
  const text = spec && "text" in spec ? spec.text : null;
  if (text) {
    lines.push(`From \`${part.spec}\`:`, "");
    for (const h of ["Problem", "Decision"]) {
      const body = specSectionBody(text, h);
      if (body) lines.push(`**${h}.** ${body.split("\n").slice(0, 15).join("\n")}`, "");
    }
  } else {
    lines.push(
      part.spec && spec && "missing" in spec
        ? `\`${part.spec}\`: ${spec.missing}`
        : "This part names no spec.",
      "",
    );
  }
  const change = data.specChange;
  if (change) {
    lines.push(
      change.changed
        ? `**This branch changed the spec:**\n\n\`\`\`\n${change.stat}\n\`\`\`\n`
        : "This branch did not change the spec (a living spec records what the work taught: check its Decision and History).\n",
    );
  }
  return lines;
}

function agentSaysLines(data: BriefData): string[] {
  const lines = [
    "## What the agent says",
    "",
    "(the agent's own claims; the sections after this one are observed by Ballador)",
    "",
    data.summary ? `Summary: ${data.summary}` : "No summary given.",
    "",
  ];
  if (data.cost) lines.push(`Usage, from its own session records: ${data.cost}`, "");
  if (data.notes.length) for (const n of data.notes) lines.push(`- ${n}`);
  else lines.push("No notes.");
  lines.push("");
  return lines;
}

/** What a person left or did on the dashboard: neither the agent's claims nor observed by Ballador. */
function personLines(data: BriefData): string[] {
  const lines: string[] = [];
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
  return lines;
}

function verificationLines(data: BriefData): string[] {
  const lines = ["## Verification", ""];
  if (data.partVerify) lines.push(...partVerifyLines(data.partVerify, data.task), "");
  if (data.unverified)
    lines.push(
      "**Unverified:** no verify command checked this work (no `verify:` in the config, no verify.sh on the base). Set one (`ballador doctor` suggests it), or `ballador merge` asks for `--unverified`.",
      "",
    );
  if (data.verification.length === 0) lines.push("No verification recorded.");
  for (const v of data.verification) {
    lines.push(
      `- ${v.command === null ? "unverified: no verify command" : `${v.passed ? "passed" : "FAILED"}: \`${v.command}\``} (${v.kind === "gate" ? "run by the agent's `ballador done`" : v.kind === "clean" ? "Ballador, clean checkout" : "merged result"}) on ${v.commit?.slice(0, 10) ?? "?"}, ${(v.ms / 1000).toFixed(1)} s`,
    );
  }
  lines.push(...failedOutputs(data.verification));
  if (data.flaky.length)
    lines.push(
      "",
      `**Flaky:** the same commit both passed and failed Ballador's own verification: ${data.flaky.map((c) => c.slice(0, 10)).join(", ")}.`,
    );
  lines.push(...verifyChangeLines(data.tampered, data.dependencies));
  return lines;
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

/** A pipeline stage: who played it, what they claimed, and each round of its gate. */
function stageLines(st: BriefStage): string[] {
  const lines = [
    "",
    `## Stage ${st.index + 1}: ${st.role}`,
    "",
    `Who: ${st.profiles.length ? st.profiles.join(", ") : "not run yet"}.`,
    "",
    `What they claimed: ${st.claim ?? "nothing yet"}`,
    "",
  ];
  if (st.gates.length === 0) lines.push("Gate: not reached yet.");
  for (const [i, g] of st.gates.entries()) {
    lines.push(
      `Gate${st.gates.length > 1 ? ` (round ${i + 1})` : ""}: ${g.passed ? "passed" : "REFUSED"}${g.commit ? ` on ${g.commit.slice(0, 10)}` : ""} (observed by Ballador):`,
    );
    for (const c of g.checks) lines.push(`- ${c.ok ? "ok" : "FAILED"}: ${c.name}: ${c.detail}`);
  }
  return lines;
}

function diffLines(data: BriefData, scope: readonly string[]): string[] {
  const lines = ["", "## Diff", "", "```", data.diffStat || "(no changes)", "```", ""];
  if (scope.length) {
    lines.push(
      data.outsideScope.length
        ? `**Outside the declared scope:** ${data.outsideScope.map((f) => `\`${f}\``).join(", ")}`
        : "All changed files are within the declared scope.",
      "",
    );
  }
  return lines;
}

function sandboxLines(data: BriefData): string[] {
  const lines = ["## Sandbox", ""];
  if (data.violations.length) {
    lines.push(
      "**Sandbox violations** (observed by Ballador; the real refs and files were not changed):",
      "",
      ...data.violations.map((v) => `- ${v}`),
      "",
    );
  }
  lines.push(
    data.denials.length ? data.denials.map(denialLine).join("\n") : "No denied network requests.",
    "",
  );
  return lines;
}

function denialLine(d: BriefDenial): string {
  const where = `${d.host}${d.port ? `:${d.port}` : ""}`;
  return d.secret
    ? `- the stand-in of masked secret ${d.secret} was sent to ${where} (${d.count}x), a host it is not for: it got the stand-in only`
    : `- denied ${where} (${d.count}x); allow with \`sandbox.allow_hosts\` if it was needed`;
}

function conflictLines(data: BriefData): string[] {
  const lines = [
    "## Predicted conflicts",
    "",
    data.conflicts.length
      ? data.conflicts.map((c) => `- ${c}`).join("\n")
      : "None with other running or in-review branches.",
    "",
  ];
  if (data.mergeOrder.length > 1) lines.push(`Suggested merge order: ${data.mergeOrder.join(" → ")}`, "");
  return lines;
}
