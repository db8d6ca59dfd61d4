/** A task's session and worktree over its life: stop, resume, abandon, and clean up after it. */
import type { Command } from "commander";
import { block, color, line, printJson } from "../output.js";
import { progressWriter } from "../progress.js";
import { examples, taskCommand, withProject } from "./common.js";

const run = () => import("../../run/index.js");

export function registerStop(program: Command): void {
  taskCommand(
    program,
    {
      name: "stop",
      description: "close a task's session and keep its worktree (state stopped; resume continues)",
      example: "ballador stop extract-events",
    },
    async (p, id) => (await run()).stop(p, id),
    (r, id) =>
      console.log(
        `Stopped ${id}; worktree kept${r.worktree ? ` at ${line(r.worktree)}` : ""}. Continue with: ballador resume ${id}`,
      ),
  );
}

export function registerResume(program: Command): void {
  taskCommand(
    program,
    {
      name: "resume",
      description: "continue a stopped, blocked or failed task in its worktree, in a new session",
      example: "ballador resume extract-events",
    },
    async (p, id) => (await run()).resume(p, id),
    (r) => {
      for (const s of r.started) console.log(`Resumed ${s.id} (attempt ${s.attempt}) in ${line(s.worktree)}`);
      for (const f of r.failed) console.log(color.red(`failed ${f.id}: ${block(f.reason)}`));
      for (const d of r.deferred) console.log(`not started: ${line(d.why)}`);
      if (r.started.length === 0) process.exitCode = 1;
    },
  );
}

export function registerAbandon(program: Command): void {
  taskCommand(
    program,
    {
      name: "abandon",
      description: "give a task up (its session is closed; cleanup removes its worktree)",
      example: "ballador abandon extract-events",
    },
    async (p, id) => (await run()).abandon(p, id),
    (_r, id) => console.log(`Abandoned ${id}. Remove its worktree with: ballador cleanup ${id}`),
  );
}

type CleanupResult = Awaited<ReturnType<typeof import("../../run/index.js").cleanup>>;

export function registerCleanup(program: Command): void {
  program
    .command("cleanup")
    .description("remove worktrees and branches of merged or abandoned tasks; refuses unmerged or dirty work")
    .argument("[tasks...]", "task ids")
    .option("--all", "every merged or abandoned task")
    .option("--force", "also remove dirty or unmerged work (it is lost)")
    .option("--json", "print the result as JSON")
    .addHelpText(
      "after",
      examples(
        "ballador cleanup --all",
        "ballador cleanup extract-events",
        "ballador cleanup old-spike --force",
      ),
    )
    .action(
      async (tasks: string[], opts: { all?: boolean; force?: boolean; json?: boolean }, cmd: Command) => {
        const { cleanup } = await run();
        await withProject(cmd, async (p) => {
          const r = await cleanup(p, {
            tasks,
            all: opts.all === true,
            force: opts.force === true,
            progress: progressWriter({ json: opts.json === true }).progress,
          });
          if (opts.json) printJson(r);
          else printCleanup(r);
          // Some work was kept because removing it would lose it: a refusal (exit 4).
          if (r.refused.length > 0) process.exitCode = 4;
        });
      },
    );
}

function printCleanup(r: CleanupResult): void {
  for (const x of r.removed)
    console.log(
      `removed ${x.id}: ${line([x.worktree, x.branch].filter(Boolean).join(", ")) || "nothing left"}`,
    );
  for (const x of r.refused) console.log(color.yellow(`kept ${x.id}: ${line(x.why)}`));
  for (const x of r.kept) console.log(`kept ${x.id} (${line(x.worktree)}): ${line(x.why)}`);
  for (const s of r.sessionsClosed) console.log(`closed orphan session ${line(s)}`);
  if (r.removed.length + r.refused.length + r.kept.length + r.sessionsClosed.length === 0)
    console.log("Nothing to clean up.");
}
