import type { Command } from "commander";
import { overrideText } from "../../core/part-verify.js";
import { describeSummary } from "../../core/secrets.js";
import { UNVERIFIED_TEXT } from "../../core/unverified.js";
import { age, block, color, line, printJson, printJsonLine, stateColor, table, truncate } from "../output.js";
import { examples, indent, positiveInt, withProject } from "./common.js";

export function registerQueueCommands(program: Command): void {
  program
    .command("queue")
    .description("validate parts and load them into the task store (all or nothing)")
    .argument("[paths...]", "part files or folders (default: the parts folder)")
    .option("--dry-run", "validate and report, write nothing")
    .option("--json", "print the result as JSON")
    .addHelpText(
      "after",
      examples(
        "ballador queue",
        "ballador queue .ballador/parts/0001-data-extraction",
        "ballador queue --dry-run --json",
      ),
    )
    .action(async (paths: string[], opts: { dryRun?: boolean; json?: boolean }, cmd: Command) => {
      const { queueParts, notOnBase } = await import("../../plan/index.js");
      const { globals } = await import("./common.js");
      await withProject(cmd, async (p) => {
        const r = queueParts(p, paths, globals(cmd).cwd, { dryRun: opts.dryRun === true });
        const warnings = r.dryRun ? [] : await notOnBase(p, [...r.inserted, ...r.updated]);
        if (opts.json) return printJson({ ...r, warnings });
        const verb = r.dryRun ? "would queue" : "queued";
        console.log(
          `${r.files} part file${r.files === 1 ? "" : "s"}: ${verb} ${r.inserted.length} new, ${r.dryRun ? "would update" : "updated"} ${r.updated.length}, ${r.unchanged.length} unchanged.`,
        );
        // One write: 10,000 console.log calls cost more than the queueing they report.
        const lines = [...r.inserted.map((id) => `  + ${id}`), ...r.updated.map((id) => `  ~ ${id}`)];
        if (lines.length > 0) process.stdout.write(`${lines.join("\n")}\n`);
        // What decides "done" changed for these: said where the person queues them.
        for (const o of r.verifyOverrides) console.log(color.yellow(`  ! ${o.id}: ${line(overrideText(o))}`));
        for (const s of r.skipped) {
          console.log(
            color.yellow(
              `  ! ${s.id}: ${line(s.path)} changed but the task is ${s.state}; not updated (stop or retry it first)`,
            ),
          );
        }
        for (const w of warnings) process.stderr.write(`${color.yellow(`warning: ${line(w)}`)}\n`);
      });
    });

  program
    .command("status")
    .description("the task table: id, title, state, agent, attempt, age, branch")
    .option("-w, --watch", "refresh every second until interrupted")
    .option("--json", "print the tasks as JSON")
    .addHelpText(
      "after",
      examples(
        "ballador status",
        "ballador status --watch",
        "ballador status --json | jq '.tasks[] | select(.state==\"review\")'",
      ),
    )
    .action(async (opts: { watch?: boolean; json?: boolean }, cmd: Command) => {
      const { statusReport } = await import("../../observe/index.js");
      const snapshot = () => withProject(cmd, (p) => statusReport(p));
      if (!opts.watch) {
        const report = await snapshot();
        if (opts.json) return printJson(report);
        console.log(renderStatus(report));
        return;
      }
      const tick = () => new Promise((r) => setTimeout(r, 1000));
      if (opts.json) {
        // NDJSON: one status document per line, whenever something changed.
        let last = "";
        for (;;) {
          const report = await snapshot();
          const key = JSON.stringify(report);
          if (key !== last) printJsonLine({ event: "status", at: new Date().toISOString(), ...report });
          last = key;
          await tick();
        }
      }
      if (process.stdout.isTTY) {
        for (;;) {
          const text = renderStatus(await snapshot());
          process.stdout.write(
            `\x1b[H\x1b[2J${new Date().toLocaleTimeString()}  (Ctrl-C to stop)\n${text}\n`,
          );
          await tick();
        }
      }
      // In a pipe or a file: the table once, then one plain line per change.
      let before = await snapshot();
      console.log(renderStatus(before));
      for (;;) {
        await tick();
        const now = await snapshot();
        for (const change of statusChanges(before, now))
          console.log(`${new Date().toLocaleTimeString()}  ${change}`);
        before = now;
      }
    });

  program
    .command("next")
    .description("what can start now, what waits on what, what awaits review, what is stuck")
    .option("--json", "print the report as JSON")
    .option(
      "-n, --limit <n>",
      "list at most n ready and n waiting tasks (the rest are counted)",
      positiveInt("--limit"),
      50,
    )
    .option("--all", "list every ready and waiting task")
    .addHelpText(
      "after",
      examples("ballador next", "ballador next --json", "ballador next --all --json | jq '.ready[].id'"),
    )
    .action(async (opts: { json?: boolean; limit: number; all?: boolean }, cmd: Command) => {
      const { nextWithConflicts } = await import("../../observe/index.js");
      await withProject(cmd, async (p) => {
        const r = await nextWithConflicts(p, { limit: opts.all ? -1 : opts.limit });
        if (opts.json) return printJson(r);
        const section = (title: string, lines: string[], more = 0) => {
          console.log(color.bold(title));
          console.log(lines.length > 0 ? lines.map((l) => `  ${l}`).join("\n") : color.dim("  (none)"));
          if (more > 0) console.log(color.dim(`  ... and ${more} more (ballador next --all)`));
        };
        // Only when some agent waits: the first thing the person should see.
        if (r.needsYou.length > 0)
          section(
            "Needs you:",
            r.needsYou.map(
              (t) =>
                `${t.id}  ${color.yellow(`asks: ${line(t.asked)}`)}  ${color.dim(`for ${age(t.since)}${t.nudgedAt ? ", nudged" : ""}`)}  -> ballador attach ${t.id}`,
            ),
          );
        section(
          "Awaiting review (review in this order):",
          r.review.map(
            (t) =>
              `${t.id}  ${line(t.title)}${t.unverified ? color.yellow("  unverified (no verify command)") : ""}  ${color.dim(`${age(t.since)} in review${t.stage ? `, ${line(t.stage)}` : ""}`)}  -> ${t.stage?.startsWith("paused") ? `ballador approve ${t.id}` : `ballador review ${t.id}`}`,
          ),
        );
        section(
          "Ready to launch (launch order):",
          r.ready.map(
            (t) =>
              `${t.id}  ${line(t.title)}  ${color.dim(`priority ${t.priority}, agent ${line(t.agent)}`)}`,
          ),
          r.more.ready,
        );
        section(
          "Running:",
          r.running.map(
            (t) =>
              `${t.id}  ${line(t.title)}  ${color.dim(`${t.state} for ${age(t.since)}${t.stage ? `, stage ${line(t.stage)}` : ""}${t.phase ? `, provisioning: ${line(t.phase)}` : ""}`)}`,
          ),
        );
        section(
          "Waiting:",
          r.waiting.map((t) => `${t.id}  waits on ${t.on.map((d) => `${d.id} (${d.state})`).join(", ")}`),
          r.more.waiting,
        );
        section(
          "Blocked, failed or stopped:",
          r.stuck.map((t) => `${t.id}  ${stateColor(t.state)}${t.reason ? `: ${line(t.reason)}` : ""}`),
        );
        section(
          "Conflicts:",
          r.conflicts.map((c) =>
            c.kind === "textual" ? color.red(line(c.message)) : color.yellow(line(c.message)),
          ),
        );
        if (r.mergeOrder.length > 1) console.log(`Suggested merge order: ${r.mergeOrder.join(" -> ")}`);
      });
    });

  program
    .command("graph")
    .description("draw the dependency graph: terminal tree, Mermaid or DOT")
    .option("-f, --format <format>", "tree, mermaid or dot", "tree")
    .option("--json", "print nodes and edges as JSON")
    .addHelpText(
      "after",
      examples(
        "ballador graph",
        "ballador graph --format mermaid > graph.mmd",
        "ballador graph --format dot | dot -Tsvg > graph.svg",
      ),
    )
    .action(async (opts: { format: string; json?: boolean }, cmd: Command) => {
      const { usage } = await import("../../project/index.js");
      if (!["tree", "mermaid", "dot"].includes(opts.format)) {
        throw usage(
          "invalid_option",
          `--format: "${line(opts.format)}" is not a format; use tree, mermaid or dot`,
        );
      }
      const { graph } = await import("../../observe/index.js");
      await withProject(cmd, (p) => {
        if (opts.json) {
          const tasks = p.store().tasks();
          return printJson({
            nodes: tasks.map((t) => ({ id: t.id, title: t.title, state: t.state })),
            edges: tasks.flatMap((t) => t.needs.map((d) => ({ from: d, to: t.id }))),
          });
        }
        console.log(block(graph(p, opts.format as "tree" | "mermaid" | "dot")));
      });
    });

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
        for (const s of r.secrets)
          console.log(`secrets of ${line(s.profile)}: ${line(describeSummary(s) ?? "")}`);
        console.log(`\n${block(t.body)}\n`);
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
        printVerifications(r);
        if (r.runs.length) {
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
        if (r.notes.length) {
          console.log(color.bold("Notes:"));
          for (const n of r.notes) console.log(`  ${n.at}  [${line(n.kind)}] ${indent(block(n.text), 4)}`);
        }
        if (r.artifacts.length) {
          console.log(color.bold("Artifacts:"));
          for (const a of r.artifacts) console.log(`  ${a.at}  ${line(a.kind)}  ${line(a.value)}`);
        }
      });
    });
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

type StatusReport = import("../../observe/index.js").StatusReport;

function renderStatus(report: StatusReport): string {
  const lines: string[] = [];
  if (report.sandbox === "none") {
    lines.push(
      color.red(
        "SANDBOX OFF: agents run with full access to your files, network and credentials (sandbox.mode: none)",
      ),
    );
  }
  if (report.sandboxWarning) lines.push(color.red(line(report.sandboxWarning)));
  const anyReason = report.tasks.some((t) => t.reason || t.needsYou);
  // The agents' own records: a claim (marked *), shown only when some run kept any.
  const anyCost = report.tasks.some((t) => t.cost);
  lines.push(
    report.tasks.length === 0
      ? 'No tasks. Write parts (ballador part new) and run "ballador queue".'
      : table(
          // The reason goes last and short, so a long failure never widens the STATE column
          // (ballador show TASK has it whole); the column is there only when some task has one.
          [
            "ID",
            "TITLE",
            "STATE",
            "AGENT",
            "ATT",
            "AGE",
            "BRANCH",
            ...(anyCost ? ["COST*"] : []),
            ...(anyReason ? ["WHY"] : []),
          ],
          report.tasks.map((t) => [
            t.id,
            truncate(line(t.title), 40),
            stateColor(t.state) +
              (t.unverified ? color.yellow(" unverified") : "") +
              (t.stage ? color.dim(` [${line(t.stage)}]`) : "") +
              (t.phase ? color.dim(` (provisioning: ${line(t.phase)})`) : "") +
              (t.needsYou ? color.yellow(" needs you") : "") +
              (t.partVerify ? color.yellow(" [own verify]") : "") +
              (t.denials > 0 ? color.yellow(` [${t.denials} denied]`) : "") +
              (t.standIns > 0
                ? color.yellow(` [${t.standIns} stand-in${t.standIns === 1 ? "" : "s"} sent elsewhere]`)
                : ""),
            line(t.agent),
            String(t.attempt),
            age(t.since),
            line(t.branch ?? ""),
            ...(anyCost ? [t.cost ? t.cost.text : ""] : []),
            ...(anyReason
              ? [
                  t.needsYou
                    ? color.yellow(truncate(`asks: ${line(t.needsYou.asked)}`, 60))
                    : t.reason
                      ? color.dim(truncate(line(t.reason.split("\n")[0] ?? ""), 60))
                      : "",
                ]
              : []),
          ]),
        ),
  );
  const counts = Object.entries(report.counts)
    .map(([s, n]) => `${n} ${s}`)
    .join(", ");
  if (counts) lines.push(color.dim(counts));
  for (const t of report.tasks)
    if (t.partVerify) lines.push(color.yellow(`own verify: ${t.id}: ${line(overrideText(t.partVerify))}`));
  if (anyCost)
    lines.push(color.dim("* COST: from the agents' own session records (a claim); prices from the config"));
  const l = report.launch;
  if (l) {
    const allowed = [
      ...(l.budget.tokens !== undefined ? [`${l.budget.tokens} tokens`] : []),
      ...(l.budget.usd !== undefined ? [`$${l.budget.usd.toFixed(2)}`] : []),
    ].join(" or ");
    const said = `launch ${l.id}: ${l.text ?? "nothing recorded yet"} of its budget of ${allowed}`;
    lines.push(l.spent ? color.yellow(`${said}; spent: ${line(l.spent)}`) : color.dim(said));
  }
  for (const d of report.disagreements) lines.push(color.yellow(`! ${line(d)}`));
  return lines.join("\n");
}

/** What changed between two status reports, one plain line each (agent text escaped). */
export function statusChanges(before: StatusReport, now: StatusReport): string[] {
  const out: string[] = [];
  const old = new Map(before.tasks.map((t) => [t.id, t]));
  for (const t of now.tasks) {
    const o = old.get(t.id);
    old.delete(t.id);
    const why = t.reason ? ` (${line(t.reason)})` : "";
    if (!o) out.push(`${t.id}: new -> ${t.state}${why}`);
    else if (o.phase !== t.phase && t.phase) out.push(`${t.id}: provisioning: ${line(t.phase)}`);
    else if (!o.needsYou && t.needsYou) out.push(`${t.id}: needs you: ${line(t.needsYou.asked)}`);
    else if (o.needsYou && !t.needsYou && o.state === t.state) out.push(`${t.id}: moving again`);
    else if (o.state !== t.state || o.reason !== t.reason || o.attempt !== t.attempt)
      out.push(
        `${t.id}: ${o.state} -> ${t.state}${why}${o.attempt !== t.attempt ? `, attempt ${t.attempt}` : ""}`,
      );
    else if (o.denials !== t.denials)
      out.push(`${t.id}: ${t.denials} denied request${t.denials === 1 ? "" : "s"}`);
    else if (o.standIns !== t.standIns)
      out.push(
        `${t.id}: a masked secret's stand-in sent toward a host it is not for (${t.standIns} time${t.standIns === 1 ? "" : "s"}; ballador sandbox denials ${t.id})`,
      );
  }
  for (const id of old.keys()) out.push(`${id}: removed from the queue`);
  const seen = new Set(before.disagreements);
  for (const d of now.disagreements) if (!seen.has(d)) out.push(`! ${line(d)}`);
  return out;
}
