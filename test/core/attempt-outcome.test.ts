import { describe, expect, it } from "vitest";
import {
  type AttemptEnd,
  attemptEnd,
  budgetWords,
  type Judgement,
  judgedFailure,
  nextAttemptCause,
  type Outcome,
  violationReason,
} from "../../src/core/attempt-outcome.js";
import { gateOutcome } from "../../src/core/pipeline.js";

const FACTS = { timeoutMs: 90_500, program: "claude" };
const C = "0123456789abcdef0123456789abcdef01234567";
const FENCED_BOOM = "```\n    boom\n```";

/** One row per way an attempt ends: the decision and, for a failure, the exact words. */
const ENDS: Array<[string, Outcome, AttemptEnd]> = [
  ["done", { kind: "done", summary: "did it" }, { kind: "verify", summary: "did it" }],
  ["blocked", { kind: "blocked", reason: "need a key" }, { kind: "blocked", reason: "need a key" }],
  [
    "budget",
    { kind: "budget", scope: "task", reason: "1000 tokens" },
    { kind: "budget", scope: "task", reason: "1000 tokens" },
  ],
  [
    "a verdict from an implementer",
    { kind: "verdict", approve: true, notes: "" },
    {
      kind: "failed",
      retry: true,
      failure: {
        reason: "agent: reported a review verdict instead of done",
        feedback:
          "agent: reported a review verdict instead of done; you are the implementer: report with ballador done.",
        outcome: "exited",
        from: "running",
      },
    },
  ],
  [
    "a refused done, then quiet (with output)",
    { kind: "refused", gate: { command: "npm test", code: 1, commit: C }, log: "boom" },
    {
      kind: "failed",
      retry: true,
      failure: {
        reason:
          "verify: ballador done was refused (npm test exited 1 on 0123456789) and the agent went quiet",
        feedback: `verify: ballador done was refused (npm test exited 1 on 0123456789) and the agent went quiet. The end of its output:\n\n${FENCED_BOOM}\n\nFix what fails, commit, and run ballador done again.`,
        outcome: "verify-failed",
        from: "running",
      },
    },
  ],
  [
    "a refused done by timeout, no output",
    { kind: "refused", gate: { command: "npm test", code: null, commit: C }, log: "" },
    {
      kind: "failed",
      retry: true,
      failure: {
        reason:
          "verify: ballador done was refused (npm test exited by timeout on 0123456789) and the agent went quiet",
        feedback:
          "verify: ballador done was refused (npm test exited by timeout on 0123456789) and the agent went quiet.\n\nFix what fails, commit, and run ballador done again.",
        outcome: "verify-failed",
        from: "running",
      },
    },
  ],
  [
    "idle",
    { kind: "idle", minutes: 5 },
    {
      kind: "failed",
      retry: true,
      failure: {
        reason: "timeout: idle for 5 min without reporting done or blocked",
        feedback:
          'timeout: idle for 5 min without reporting done or blocked. When the work is committed and verified, run ballador done --summary "..."; if you cannot go on, run ballador blocked "why".',
        outcome: "idle",
        from: "running",
      },
    },
  ],
  [
    "timeout",
    { kind: "timeout" },
    {
      kind: "failed",
      retry: true,
      failure: {
        reason: "timeout: the run took longer than 91 s",
        feedback:
          "timeout: the run took longer than 91 s; the agent was stopped. Work in smaller steps and report with ballador done.",
        outcome: "timeout",
        from: "running",
      },
    },
  ],
  [
    "exited with a code",
    { kind: "exited", code: 3, signal: null, error: null },
    {
      kind: "failed",
      retry: true,
      failure: {
        reason: "agent: exited with code 3 without reporting done or blocked",
        feedback:
          "agent: exited with code 3 without reporting done or blocked. Finish the work, commit it, and report with ballador done (or ballador blocked).",
        outcome: "exited",
        from: "running",
      },
    },
  ],
  [
    "killed by a signal",
    { kind: "exited", code: null, signal: "SIGKILL", error: null },
    {
      kind: "failed",
      retry: true,
      failure: {
        reason: "agent: exited with signal SIGKILL without reporting done or blocked",
        feedback:
          "agent: exited with signal SIGKILL without reporting done or blocked. Finish the work, commit it, and report with ballador done (or ballador blocked).",
        outcome: "exited",
        from: "running",
      },
    },
  ],
  [
    "could not start: no retry",
    { kind: "exited", code: null, signal: null, error: "ENOENT" },
    {
      kind: "failed",
      retry: false,
      failure: {
        reason: "agent: could not start claude: ENOENT",
        feedback:
          "agent: could not start claude: ENOENT. Finish the work, commit it, and report with ballador done (or ballador blocked).",
        outcome: "exited",
        from: "running",
      },
    },
  ],
];

describe("attemptEnd", () => {
  it.each(ENDS)("%s", (_name, outcome, want) => {
    expect(attemptEnd(outcome, FACTS)).toEqual(want);
  });
});

const VERDICT = {
  ok: false,
  command: "npm test",
  code: 2,
  commit: C,
  tail: "boom",
  log: "/r/verify.log",
  tampered: [],
};
const LOG = "\n\nThe whole log: `/r/verify.log`";
const GATE = gateOutcome([
  { name: "verify passes on a clean checkout", ok: false, detail: "npm test exited 2 on 0123456789" },
]);
const GATE_WORDS =
  "Ballador's gate for your stage (implementer) refused the work. What it observed:\n\n- verify passes on a clean checkout: npm test exited 2 on 0123456789\n\nFix it on this branch, commit, and report with ballador done again.";

/** One row per finding of the judge after a done: the exact reason, feedback and outcome. */
const JUDGED: Array<[string, Judgement, { reason: string; feedback: string; outcome: string }]> = [
  [
    "an update's base is missing (one commit)",
    { kind: "missing-base", missing: [C] },
    {
      reason: "update: the branch does not contain 0123456789; the conflicts are not resolved",
      feedback: `Your branch does not contain ${C}. Merge it into your branch (git merge ${C}), resolve the conflicts, commit the merge, then run ballador done.`,
      outcome: "verify-failed",
    },
  ],
  [
    "an update's base is missing (two commits)",
    { kind: "missing-base", missing: [C, "f".repeat(40)] },
    {
      reason: `update: the branch does not contain 0123456789, ffffffffff; the conflicts are not resolved`,
      feedback: `Your branch does not contain ${C}, ${"f".repeat(40)}. Merge them into your branch (git merge ${C} ${"f".repeat(40)}), resolve the conflicts, commit the merge, then run ballador done.`,
      outcome: "verify-failed",
    },
  ],
  [
    "a stage's gate refused, verify failed: the output follows",
    { kind: "gate", role: "implementer", stageKind: "build", gate: GATE, verdict: VERDICT },
    {
      reason: `gate (implementer): ${GATE.summary}`,
      feedback: `${GATE_WORDS}\n\nThe end of the verification output (npm test on 0123456789):\n\n${FENCED_BOOM}${LOG}`,
      outcome: "gate-failed",
    },
  ],
  [
    "a test author's gate refused: its failing verify is no news",
    { kind: "gate", role: "implementer", stageKind: "tests", gate: GATE, verdict: VERDICT },
    { reason: `gate (implementer): ${GATE.summary}`, feedback: GATE_WORDS, outcome: "gate-failed" },
  ],
  [
    "a stage's gate refused, verify passed",
    { kind: "gate", role: "implementer", stageKind: "build", gate: GATE, verdict: { ...VERDICT, ok: true } },
    { reason: `gate (implementer): ${GATE.summary}`, feedback: GATE_WORDS, outcome: "gate-failed" },
  ],
  [
    "verification failed",
    { kind: "verify-failed", verdict: VERDICT },
    {
      reason: "verify: npm test exited 2",
      feedback: `Ballador ran \`npm test\` on a clean checkout of your last commit 0123456789 and it failed (exit 2):\n\n${FENCED_BOOM}${LOG}`,
      outcome: "verify-failed",
    },
  ],
  [
    "verification timed out, protected files changed",
    { kind: "verify-failed", verdict: { ...VERDICT, code: null, tampered: ["verify.sh"] } },
    {
      reason: "verify: npm test exited by timeout",
      feedback: `Ballador ran \`npm test\` on a clean checkout of your last commit 0123456789 and it failed (exit timeout):\n\n${FENCED_BOOM}${LOG}\n\nNote: verify.sh differs from the base; verification always uses the base's version.`,
      outcome: "verify-failed",
    },
  ],
  [
    "the reviewer requested changes after verification",
    { kind: "changes-requested", after: "verification", notes: "rename it" },
    {
      reason: "review: changes requested",
      feedback: "Your work passed verification, but a reviewer read it and requested changes:\n\nrename it",
      outcome: "changes-requested",
    },
  ],
  [
    "the reviewer requested changes after the last gate",
    { kind: "changes-requested", after: "gate", notes: "rename it" },
    {
      reason: "review: changes requested",
      feedback: "Your work passed its gate, but a reviewer read it and requested changes:\n\nrename it",
      outcome: "changes-requested",
    },
  ],
  [
    "an auditor requested changes",
    { kind: "audit", role: "security-auditor", profile: "auditor", notes: "unsafe eval" },
    {
      reason: "audit (security-auditor): changes requested by auditor",
      feedback:
        "Your work passed its gate, but the security-auditor read it and found problems that must be fixed:\n\nunsafe eval",
      outcome: "changes-requested",
    },
  ],
];

describe("judgedFailure", () => {
  it.each(JUDGED)("%s", (_name, judgement, want) => {
    expect(judgedFailure(judgement)).toEqual({ ...want, from: "verifying" });
  });
});

describe("the words around a failure", () => {
  it.each([
    [{ attempt: 2, profile: "a", stageRole: null, otherStage: false }, "attempt 2: verify: x"],
    [{ attempt: 2, profile: "b", stageRole: null, otherStage: false }, "fallback to b: verify: x"],
    [
      { attempt: 3, profile: "b", stageRole: "implementer", otherStage: true },
      "back to implementer (b): verify: x",
    ],
  ])("next attempt %j", (next, want) => {
    expect(nextAttemptCause({ reason: "verify: x" }, next, "a")).toBe(want);
  });

  it("budget words", () => {
    expect(budgetWords("task", "2000 tokens", true, null)).toEqual({
      reason: "budget: 2000 tokens (the agent's own records)",
      cause: "the task's budget is spent; the run was stopped",
      advice:
        "stopped: budget: 2000 tokens (the agent's own records); raise budget: in .ballador/config.yaml, or retry to start a new count",
    });
    expect(budgetWords("launch", "$3", false, "verify: x")).toEqual({
      reason: "budget: $3 (the agent's own records)",
      cause: "verify: x; the launch's budget is spent, so no retry",
      advice:
        "stopped: budget: $3 (the agent's own records); raise budget.launch in .ballador/config.yaml, or launch again (a new launch, a new count)",
    });
    expect(budgetWords("launch", "$3", false, null).cause).toBe(
      "the run ended; the launch's budget is spent, so no retry",
    );
  });

  it("violations", () => {
    expect(violationReason(["wrote refs/heads/main"])).toBe("sandbox violation: wrote refs/heads/main");
    expect(violationReason(["a", "b", "c"])).toBe("sandbox violation: a (and 2 more)");
  });
});
