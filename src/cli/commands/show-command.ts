/** `show`: one task whole, its part, its history, gates, verifications, runs and notes. */
import type { Command } from "commander";
import { overrideText } from "../../core/part-verify.js";
import { describeSummary } from "../../core/secrets.js";
import { UNVERIFIED_TEXT } from "../../core/unverified.js";
import type { Project } from "../../project/index.js";
import { block, color, line, printJson, stateColor } from "../output.js";
import { examples, indent, withProject } from "./common.js";

export function registerShow(program: Command): void {
  program
    .command("show")
    .description("one task: its part, its state history, its runs and notes")
    .argument("<task>", "task id")
    .option("--json", "print everything as JSON")
    .addHelpText("after", examples("ballador show extract-events"))
    .action(async (id: string, opts: { json?: boolean }, cmd: Command) => {
      const { show } = await import("../../observe/index.js");
      await withProject(cmd, (p) => {
        const r = show(p, id);
        if (opts.json) return printJson(r);
        printTask(r, p);
        console.log(`\n${block(r.task.body)}\n`);
        printHistory(r);
        printVerifications(r);
        printRuns(r);
        printNotes(r);
      });
    });
}

/** The task's head: state, who waits for the person, agent, where it comes from and goes. */
function printTask(r: ShowReport, p: Project): void {
  const t = r.task;
  console.log(`${color.bold(t.id)}  ${line(t.title)}`);
  console.log(
    `state ${stateColor(t.state)}${t.reason ? ` (${line(t.reason)})` : ""}, attempt ${t.attempt}, priority ${t.priority}`,
  );
  if (r.unverified) console.log(color.yellow(UNVERIFIED_TEXT));
  const waiting = r.runs.find((run) => run.status !== "ended" && run.waitingSince);
  if (waiting)
    console.log(
      color.yellow(
        `needs you since ${waiting.waitingSince}${waiting.nudgedAt ? ` (nudged ${waiting.nudgedAt})` : ""}: ${indent(block(waiting.waitingFor ?? ""), 4)}`,
      ) + `\n  -> ballador attach ${t.id}`,
    );
  console.log(
    `agent ${line(t.agent ?? `${p.config.agents.default} (default)`)}${t.role ? `, role ${line(t.role)}` : ""}`,
  );
  if (t.spec) console.log(`spec  ${line(t.spec)}`);
  if (t.partPath) console.log(`part  ${line(t.partPath)}`);
  if (t.needs.length) console.log(`needs ${t.needs.join(", ")}`);
  if (r.dependents.length) console.log(`needed by ${r.dependents.join(", ")}`);
  if (t.scope.length) console.log(`scope ${line(t.scope.join(", "))}`);
  if (t.branch) console.log(`branch ${line(t.branch)}`);
  if (r.stage) console.log(`stage ${line(r.stage)}`);
  if (r.partVerify) console.log(color.yellow(`verify ${line(overrideText(r.partVerify))}`));
  // Names and hosts only (from the config): which secrets it holds and which it never sees.
  for (const s of r.secrets) console.log(`secrets of ${line(s.profile)}: ${line(describeSummary(s) ?? "")}`);
}

/** Its state changes, and the stage gates Ballador observed. */
function printHistory(r: ShowReport): void {
  console.log(color.bold("History:"));
  for (const e of r.events) {
    console.log(
      `  ${e.at}  ${e.from ?? "-"} -> ${e.to}  ${line(e.cause)}  ${color.dim(`by ${line(e.actor)}`)}${e.detail ? `\n      ${indent(block(e.detail), 6)}` : ""}`,
    );
  }
  if (r.gates.length) {
    console.log(color.bold("Gates (observed by Ballador):"));
    for (const g of r.gates)
      console.log(
        `  ${g.at}  stage ${g.stage + 1} ${line(g.role)}  ${g.passed ? color.green("passed") : color.red("refused")}  ${line(g.summary)}`,
      );
  }
}

/** Its runs with the tokens each used and the cost, from the agents' own records. */
function printRuns(r: ShowReport): void {
  if (!r.runs.length) return;
  console.log(color.bold("Runs:"));
  for (const run of r.runs) {
    console.log(
      `  ${run.id}  ${line(run.profile)}${run.stage ? ` [${line(run.stage)}]` : ""}  ${run.status}${run.outcome ? ` (${line(run.outcome)})` : ""}${run.exitCode !== null ? ` exit ${run.exitCode}` : ""}  ${line(run.worktree)}`,
    );
    if (run.usage) {
      const u = run.usage;
      console.log(
        color.dim(
          `      used ${u.input} input, ${u.output} output, ${u.cacheRead} cache-read, ${u.cacheWrite} cache-write tokens (${line(Object.keys(u.byModel).join(", "))}; the agent's own records)`,
        ),
      );
    }
  }
  if (r.cost)
    console.log(
      `  cost: ${r.cost.text}${r.cost.unpriced.length ? ` (no price for ${line(r.cost.unpriced.join(", "))}: add it under prices:)` : ""}, from the agent's own records`,
    );
}

function printNotes(r: ShowReport): void {
  if (r.notes.length) {
    console.log(color.bold("Notes:"));
    for (const n of r.notes) console.log(`  ${n.at}  [${line(n.kind)}] ${indent(block(n.text), 4)}`);
  }
  if (r.artifacts.length) {
    console.log(color.bold("Artifacts:"));
    for (const a of r.artifacts) console.log(`  ${a.at}  ${line(a.kind)}  ${line(a.value)}`);
  }
}

type ShowReport = import("../../observe/index.js").ShowReport;

const CHECK_KIND: Record<string, string> = {
  gate: "agent's gate",
  clean: "clean checkout",
  merge: "merged result",
  update: "updated branch",
};

/** `show`'s verifications: each check, a failed one's output (its end, escaped) and its whole log. */
function printVerifications(r: ShowReport): void {
  if (!r.verifications.length) return;
  console.log(color.bold("Verification:"));
  for (const v of r.verifications) {
    console.log(
      `  ${v.at}  ${v.passed ? color.green("passed") : color.red("FAILED")}  ${CHECK_KIND[v.kind] ?? v.kind}  ${line(v.command ?? "(no verify command)")}  on ${v.commit?.slice(0, 10) ?? "?"}${v.exitCode !== null && !v.passed ? `  exit ${v.exitCode}` : ""}  ${(v.ms / 1000).toFixed(1)} s`,
    );
    if (v.tail) console.log(`      ${indent(block(v.tail), 6)}`);
    if (v.log && !v.passed) console.log(color.dim(`      whole log: ${line(v.log)}`));
  }
  if (r.flaky.length)
    console.log(
      color.yellow(
        `  flaky: ${r.flaky.map((c) => c.slice(0, 10)).join(", ")} (the same commit both passed and failed Ballador's own verification)`,
      ),
    );
}
