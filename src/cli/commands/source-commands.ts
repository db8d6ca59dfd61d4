import type { Command } from "commander";
import { color, line, printJson } from "../output.js";
import { examples, groupCommand, withProject } from "./common.js";

/** `ballador source list|sync`: a tracker's issues as parts (issue 33, docs/sources.md). */
export function registerSourceCommands(program: Command): void {
  const source = groupCommand(program.command("source"))
    .description(
      "task sources: a tracker's labelled issues (GitHub, Linear, any through a shell contract) as parts",
    )
    .addHelpText(
      "after",
      `${examples("ballador source list github", "ballador source sync", "ballador source sync github --json")}
Only issues with the source's label (default: ballador) assigned to the token's owner are
imported; \`source list\` says why each other one is skipped. See docs/sources.md.`,
    );
  source
    .command("list")
    .description("what a sync would import from a source, and why each other issue is skipped (reads only)")
    .argument("<name>", "the source's name under sources.trackers")
    .option("--json", "print the result as JSON")
    .addHelpText("after", examples("ballador source list github", "ballador source list jira --json"))
    .action(async (name: string, opts: { json?: boolean }, cmd: Command) => {
      const { listSource } = await import("../../plan/index.js");
      await withProject(cmd, async (p) => {
        const r = await listSource(p, name);
        if (opts.json) return printJson(r);
        printList(r);
      });
    });
  source
    .command("sync")
    .description(
      "import a source's eligible issues as parts (validated like queue, all or nothing), reconcile closed ones, write states back",
    )
    .argument("[name]", "one source (default: every configured source)")
    .option("--json", "print the result as JSON")
    .addHelpText("after", examples("ballador source sync", "ballador source sync github --json"))
    .action(async (name: string | undefined, opts: { json?: boolean }, cmd: Command) => {
      const { syncSource, syncAllSources } = await import("../../plan/index.js");
      await withProject(cmd, async (p) => {
        if (name) {
          const r = await syncSource(p, name);
          if (opts.json) return printJson(r);
          return printSync(r);
        }
        const all = await syncAllSources(p);
        if (opts.json) return printJson({ sources: all });
        if (all.length === 0) console.log("No source is configured (sources.trackers; see docs/sources.md).");
        for (const s of all) {
          if (s.result) printSync(s.result);
          else console.log(`${s.source}: ${color.red("failed")}: ${line(s.error ?? "")}`);
        }
        if (all.some((s) => s.error)) process.exitCode = 1;
      });
    });
}

type ListShape = {
  source: string;
  imported: Array<{ id: string; key: string; title: string }>;
  skipped: Array<{ key: string; title: string; reason: string }>;
  specs: Array<{ group: string; key: string; path: string; written?: boolean }>;
};

function printList(r: ListShape): void {
  console.log(`${r.source}: ${r.imported.length} to import, ${r.skipped.length} skipped`);
  for (const i of r.imported) console.log(`  + ${line(i.key)} → ${i.id}  ${line(i.title)}`);
  for (const s of r.skipped)
    console.log(`  - ${line(s.key)}  ${line(s.title)}  ${color.dim(`(${line(s.reason)})`)}`);
  for (const s of r.specs)
    console.log(
      `  spec ${line(s.path)} ← ${line(s.key)}: its sub-issues are the parts${s.written ? " (written)" : ""}`,
    );
}

function printSync(
  r: ListShape & {
    inserted: string[];
    updated: string[];
    changedUpstream: string[];
    abandoned: Array<{ id: string; why: string }>;
    writes: {
      sent: Array<{ task: string; state: string }>;
      failed: Array<{ task: string; state: string; error: string }>;
    };
  },
): void {
  printList(r);
  if (r.inserted.length) console.log(`  queued: ${r.inserted.join(", ")}`);
  if (r.updated.length) console.log(`  updated: ${r.updated.join(", ")}`);
  for (const id of r.changedUpstream)
    console.log(`  ! ${id}: the issue changed after the task started (a note says so)`);
  for (const a of r.abandoned) console.log(`  ${color.red("abandoned")} ${a.id}: ${line(a.why)}`);
  for (const w of r.writes.sent) console.log(`  told the tracker: ${w.task} ${w.state}`);
  for (const w of r.writes.failed)
    console.log(`  ! not told yet (retried at the next sync): ${w.task} ${w.state}: ${line(w.error)}`);
}
