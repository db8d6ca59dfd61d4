/**
 * The verify gate the agent cannot talk its way past: `ballador done` refuses while verify
 * fails; Ballador re-verifies on a clean checkout judged by the base's verify.sh; an agent
 * that lies (a report file written by hand, a verify.sh rewritten to pass) never reaches
 * review; the agent's gate passing where Ballador's clean run fails is not "flaky". Agents run
 * in bubblewrap.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { cleanupProjects, commitAndDone, waitFor } from "../helpers/runtime.js";
import {
  briefSection,
  commitAndForgeDone,
  gitCommit,
  makeVerifyProject,
  reviewBrief,
  type VerifyProject,
  writePart,
} from "../helpers/verification.js";

afterEach(cleanupProjects);

interface TranscriptStep {
  index: number;
  kind: string;
  ok: boolean;
  error: string | null;
}

async function transcript(runDir: string): Promise<TranscriptStep[]> {
  const text = await readFile(join(runDir, "inbox", "agent-transcript.jsonl"), "utf8");
  return text
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as TranscriptStep)
    .filter((r) => typeof r.index === "number");
}

/** Every state the task has been in, from its event log. */
async function statesOf(p: VerifyProject, id: string): Promise<string[]> {
  return (await p.show(id)).events.map((e) => e.to);
}

describe("the verify gate", () => {
  it("refuses done while verify fails, showing the failing output; the agent's fix then passes to review, and the brief lists the refusal and the passes", async () => {
    const p = await makeVerifyProject({ sandbox: "bwrap" });
    await writePart(p, "fixer", {
      steps: [
        { write: { path: "feature.txt", content: "feature\n" } },
        { write: { path: "app.txt", content: "bad\n" } },
        { commit: "feature, app.txt broken on the way" },
        { done: { summary: "first try" }, allow_fail: true },
        ...commitAndDone("app.txt", "good\n", {
          commit: "fix app.txt",
          done: { summary: "feature added, app.txt fixed" },
        }),
      ],
    });
    await p.ok(["queue"]);
    await p.ok(["launch"]);
    const t = await p.waitState("fixer", ["review", "failed", "blocked"]);
    expect(t.state, JSON.stringify(await p.show("fixer"))).toBe("review");
    expect(t.attempt).toBe(1);

    const runDir = await p.runDir("fixer");
    const steps = await transcript(runDir);
    const dones = steps.filter((s) => s.kind === "done");
    expect(dones).toHaveLength(2);
    // The first done was refused with exit code 4; the second went through.
    expect(dones[0]?.ok).toBe(false);
    expect(dones[0]?.error).toContain("exited with code 4");
    expect(dones[1]?.ok).toBe(true);
    // What the agent saw on its terminal: the refusal and the failing verify output.
    const session = await readFile(join(runDir, "session.log"), "utf8");
    expect(session).toContain("done refused: ./verify.sh failed (exit 1)");
    expect(session).toContain("VERIFY-FAIL: app.txt says 'bad', expected 'good'");

    const broken = await p.rev("ballador/fixer~1");
    const fixed = await p.rev("ballador/fixer");
    const b = await reviewBrief(p, "fixer");
    expect(b.data.verification.map((v) => [v.kind, v.passed, v.commit])).toEqual([
      ["gate", false, broken],
      ["gate", true, fixed],
      ["clean", true, fixed],
    ]);
    const section = briefSection(b.markdown, "Verification");
    expect(section).toContain(
      `- FAILED: \`./verify.sh\` (run by the agent's \`ballador done\`) on ${broken.slice(0, 10)}`,
    );
    expect(section).toContain(
      `- passed: \`./verify.sh\` (run by the agent's \`ballador done\`) on ${fixed.slice(0, 10)}`,
    );
    expect(section).toContain(
      `- passed: \`./verify.sh\` (Ballador, clean checkout) on ${fixed.slice(0, 10)}`,
    );
    // Not flaky: different commits failed and passed.
    expect(section).not.toContain("Flaky");
    expect(b.data.flaky).toEqual([]);
  });

  it("an agent that forges its done report (no gate) with a broken commit never reaches review: retried, then failed (verify:)", async () => {
    const p = await makeVerifyProject({ sandbox: "bwrap", config: { max_attempts: 2 } });
    await writePart(p, "liar", {
      steps: commitAndForgeDone("app.txt", "bad\n", "looks done to me", "all tests pass, trust me"),
    });
    await p.ok(["queue"]);
    await p.ok(["launch"]);
    const t = await p.waitState("liar", ["review", "failed", "blocked"], 60_000);
    expect(t.state).toBe("failed");
    expect(t.reason).toMatch(/^verify: \.\/verify\.sh exited 1/);
    expect(t.attempt).toBe(2);
    expect(await statesOf(p, "liar")).not.toContain("review");

    const shown = await p.show("liar");
    expect(shown.runs.map((r) => [r.attempt, r.outcome])).toEqual([
      [1, "verify-failed"],
      [2, "verify-failed"],
    ]);
    // The forged report was read as done (its text kept as the agent's claim)...
    expect(shown.notes.filter((n) => n.kind === "summary").map((n) => n.text)).toContain(
      "all tests pass, trust me",
    );
    // ...but no gate ever ran, and Ballador's own clean verification failed both times.
    const b = await reviewBrief(p, "liar");
    expect(b.data.verification.map((v) => [v.kind, v.passed])).toEqual([
      ["clean", false],
      ["clean", false],
    ]);
    for (const r of shown.runs) {
      expect(await readFile(join(r.runDir, "verify.log"), "utf8")).toContain(
        "VERIFY-FAIL: app.txt says 'bad'",
      );
    }
  });

  it("an agent that rewrites verify.sh (and the config's verify) to pass is still judged by the base's verify.sh: failed, and the change is flagged", async () => {
    const p = await makeVerifyProject({ sandbox: "bwrap", config: { max_attempts: 2 } });
    await writePart(p, "cheat", {
      steps: [
        { write: { path: "verify.sh", content: "#!/bin/sh\necho 'all tests pass'\nexit 0\n" } },
        {
          edit: { path: ".ballador/config.yaml", find: "verify: ./verify.sh", replace: 'verify: "true"' },
          allow_fail: true,
        },
        { write: { path: "app.txt", content: "bad\n" } },
        { commit: "make the tests pass", allow_fail: true },
        { done: { summary: "all tests pass" } },
      ],
    });
    await p.ok(["queue"]);
    await p.ok(["launch"]);
    const t = await p.waitState("cheat", ["review", "failed", "blocked"], 60_000);
    expect(t.state).toBe("failed");
    expect(t.reason).toMatch(/^verify: \.\/verify\.sh exited 1/);
    expect(await statesOf(p, "cheat")).not.toContain("review");

    // The branch really carries the weakened script, and the gate (in the agent's worktree) passed with it.
    expect(await p.git(["show", "ballador/cheat:verify.sh"])).toContain("exit 0");
    const b = await reviewBrief(p, "cheat");
    expect(b.data.verification.map((v) => [v.kind, v.passed])).toEqual([
      ["gate", true],
      ["clean", false],
      ["gate", true],
      ["clean", false],
    ]);
    // Judged by the base's verify.sh: its failure is what the log shows.
    const shown = await p.show("cheat");
    for (const r of shown.runs) {
      expect(await readFile(join(r.runDir, "verify.log"), "utf8")).toContain(
        "VERIFY-FAIL: app.txt says 'bad'",
      );
    }
    // Flagged for the person: in the notes and in the brief.
    const flagged = shown.notes.filter((n) => n.kind === "system").map((n) => n.text);
    expect(flagged.length).toBeGreaterThan(0);
    expect(flagged[0]).toContain("verify.sh");
    expect(flagged[0]).toContain(".ballador/config.yaml");
    expect(b.data.tampered.sort()).toEqual([".ballador/config.yaml", "verify.sh"]);
    expect(briefSection(b.markdown, "Verification")).toMatch(
      /### Changes how tests run\n[\s\S]*\n- `verify\.sh`/,
    );
    // Attempt 2 was told why.
    const prompt2 = await readFile(join(shown.runs[1]?.runDir ?? "", "prompt.md"), "utf8");
    expect(prompt2).toContain("verification always uses the base's version");
  });

  it("an agent that deletes verify.sh (verify left to the default: ./verify.sh on the base) is still verified on its next attempt, and never reaches review", async () => {
    const p = await makeVerifyProject({ sandbox: "bwrap", config: { max_attempts: 2, verify: null } });
    await writePart(p, "deleter", {
      steps: [
        { write: { path: "app.txt", content: "bad\n" } },
        { delete: "verify.sh", allow_fail: true },
        { commit: "no more failing tests", allow_fail: true },
        { done: { summary: "nothing fails any more" } },
      ],
    });
    await p.ok(["queue"]);
    await p.ok(["launch"]);
    // Only a final state counts: between attempts the task passes through failed for a moment.
    await waitFor(
      async () => {
        const s = await p.show("deleter");
        return s.task.state === "review" || (s.task.state === "failed" && s.runs.length === 2)
          ? s
          : undefined;
      },
      "deleter to end",
      60_000,
    );
    const shown = await p.show("deleter");
    expect(shown.task.state).toBe("failed");
    expect(await statesOf(p, "deleter")).not.toContain("review");
    expect(shown.runs).toHaveLength(2);
    // Attempt 2 is still told (and held to) the base's verify command, although its worktree has no verify.sh.
    const prompt2 = await readFile(join(shown.runs[1]?.runDir ?? "", "prompt.md"), "utf8");
    expect(prompt2).toContain("Your work is done when this command passes in your worktree: `./verify.sh`");
    const b = await reviewBrief(p, "deleter");
    expect(b.data.verification.map((v) => [v.kind, v.passed])).toEqual([
      ["gate", false],
      ["gate", false],
    ]);
    expect(b.data.tampered).toEqual(["verify.sh"]);
  });

  it("not flaky: the agent's gate passing and Ballador's clean checkout failing on the same commit is a failure, not flakiness", async () => {
    // A test that passes only with a cache left by an earlier run (.warm, ignored by git):
    // deterministic in the agent's worktree (warm), failing on Ballador's fresh checkout (cold).
    const p = await makeVerifyProject({
      sandbox: "bwrap",
      config: { max_attempts: 2 },
      files: { ".gitignore": ".warm\n" },
    });
    await writePart(p, "flaky", {
      verify: "test -e .warm || { echo 'VERIFY-FAIL: cold cache'; exit 1; }",
      steps: [
        { run: "touch .warm" },
        { write: { path: "feature.txt", content: "feature\n" } },
        { commit: { message: "add feature" }, allow_fail: true },
        // Attempt 2 makes the test deterministic: the cache is committed.
        {
          run: `if [ {attempt} -ge 2 ]; then ${gitCommit("commit the cache the test needs", "-f .warm")}; fi`,
        },
        { done: { summary: "feature added (attempt {attempt})" } },
      ],
    });
    await p.ok(["queue"]);
    await p.ok(["launch"]);
    const t = await p.waitState("flaky", ["review", "failed", "blocked"], 60_000);
    expect(t.state, JSON.stringify(await p.show("flaky"), null, 1)).toBe("review");
    expect(t.attempt).toBe(2);

    const first = await p.rev("ballador/flaky~1");
    const b = await reviewBrief(p, "flaky");
    expect(b.data.verification.map((v) => [v.kind, v.passed, v.commit === first])).toEqual([
      ["gate", true, true],
      ["clean", false, true],
      ["gate", true, false],
      ["clean", true, false],
    ]);
    // The gate is the agent's claim in its own worktree (warm): only Ballador's own runs decide.
    expect(b.data.flaky).toEqual([]);
    expect(briefSection(b.markdown, "Verification")).not.toContain("Flaky");
  });
});
