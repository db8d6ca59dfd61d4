/** Where things stand: the task table (`status`, once or watched) and what comes next (`next`). */
import type { Command } from "commander";
import { overrideText } from "../../core/part-verify.js";
import { age, color, line, printJson, printJsonLine, stateColor, table, truncate } from "../output.js";
import { NEXT_LIMIT } from "../read-fast.js";
import { examples, positiveInt, withProject } from "./common.js";

export function registerStatus(program: Command): void {
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
      if (opts.json) return watchJson(snapshot);
      if (process.stdout.isTTY) return watchScreen(snapshot);
      return watchChanges(snapshot);
    });
}

type Snapshot = () => Promise<StatusReport>;

const tick = () => new Promise((r) => setTimeout(r, 1000));

/** `status --watch --json`: NDJSON, one status document per line, whenever something changed. */
async function watchJson(snapshot: Snapshot): Promise<never> {
  let last = "";
  for (;;) {
    const report = await snapshot();
    const key = JSON.stringify(report);
    if (key !== last) printJsonLine({ event: "status", at: new Date().toISOString(), ...report });
    last = key;
    await tick();
  }
}

/** `status --watch` on a terminal: the table redrawn every second. */
async function watchScreen(snapshot: Snapshot): Promise<never> {
  for (;;) {
    const text = renderStatus(await snapshot());
    process.stdout.write(`\x1b[H\x1b[2J${new Date().toLocaleTimeString()}  (Ctrl-C to stop)\n${text}\n`);
    await tick();
  }
}

/** `status --watch` in a pipe or a file: the table once, then one plain line per change. */
async function watchChanges(snapshot: Snapshot): Promise<never> {
  let before = await snapshot();
  console.log(renderStatus(before));
  for (;;) {
    await tick();
    const now = await snapshot();
    for (const change of statusChanges(before, now))
      console.log(`${new Date().toLocaleTimeString()}  ${change}`);
    before = now;
  }
}

type NextReport = Awaited<ReturnType<typeof import("../../observe/index.js").nextWithConflicts>>;

export function registerNext(program: Command): void {
  program
    .command("next")
    .description("what can start now, what waits on what, what awaits review, what is stuck")
    .option("--json", "print the report as JSON")
    .option(
      "-n, --limit <n>",
      "list at most n ready and n waiting tasks (the rest are counted)",
      positiveInt("--limit"),
      NEXT_LIMIT,
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
        printNext(r);
      });
    });
}

function section(title: string, lines: string[], more = 0): void {
  console.log(color.bold(title));
  console.log(lines.length > 0 ? lines.map((l) => `  ${l}`).join("\n") : color.dim("  (none)"));
  if (more > 0) console.log(color.dim(`  ... and ${more} more (ballador next --all)`));
}

function printNext(r: NextReport): void {
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
      (t) => `${t.id}  ${line(t.title)}  ${color.dim(`priority ${t.priority}, agent ${line(t.agent)}`)}`,
    ),
    r.more.ready,
  );
  section(
    "Running:",
    r.running.map(
      (t) =>
        `${t.id}  ${line(t.title)}  ${color.dim(`${t.state} for ${age(t.since)}${t.runner ? ` on runner ${line(t.runner)}` : ""}${t.stage ? `, stage ${line(t.stage)}` : ""}${t.phase ? `, provisioning: ${line(t.phase)}` : ""}`)}`,
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
}

type StatusReport = import("../../observe/index.js").StatusReport;

function renderStatus(report: StatusReport): string {
  const lines: string[] = [];
  const off =
    "SANDBOX OFF: agents run with full access to your files, network and credentials (sandbox.mode: none)";
  if (report.sandbox === "none") lines.push(color.red(off));
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
              (t.runner ? color.dim(` on ${line(t.runner)}`) : "") +
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
