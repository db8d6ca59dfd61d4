/** `launch`: the downbeat, once or kept up with --watch (the conductor of src/watch/). */
import type { Command } from "commander";
import type { Project } from "../../project/index.js";
import { block, color, line, printJson, stateColor } from "../output.js";
import { progressWriter } from "../progress.js";
import { examples, positiveInt, positiveSeconds, positiveUsd, withProject } from "./common.js";

type LaunchResult = import("../../run/index.js").LaunchResult;
type ConductEvents = import("../../watch/index.js").ConductEvents;

interface LaunchOpts {
  max?: number;
  watch?: boolean;
  wait: boolean;
  reconcileEvery: number;
  base?: string;
  budgetTokens?: number;
  budgetUsd?: number;
  dryRun?: boolean;
  json?: boolean;
  on?: string;
}

/** What a launch, once or watched, asks for: the tasks and the person's limits. */
function launchRequest(tasks: string[], opts: LaunchOpts) {
  return {
    tasks,
    ...(opts.max ? { max: opts.max } : {}),
    ...(opts.base ? { base: opts.base } : {}),
    ...(opts.on ? { on: opts.on } : {}),
    ...(opts.budgetTokens !== undefined || opts.budgetUsd !== undefined
      ? {
          launchBudget: {
            ...(opts.budgetTokens !== undefined ? { tokens: opts.budgetTokens } : {}),
            ...(opts.budgetUsd !== undefined ? { usd: opts.budgetUsd } : {}),
          },
        }
      : {}),
  };
}

export function registerLaunch(program: Command): void {
  program
    .command("launch")
    .description("the downbeat: start ready tasks, each in its own worktree and tmux session")
    .argument("[tasks...]", "task ids to start (default: every ready task, by priority then queue order)")
    .option("-m, --max <n>", "start at most n runs (within max_parallel)", positiveInt("--max"))
    .option(
      "-w, --watch",
      "keep conducting: start tasks as others finish or merge, until you stop it (Ctrl-C) or nothing can become ready without you",
    )
    .option(
      "--reconcile-every <seconds>",
      "with --watch: how often to check sessions that died without a word (changes in the store wake it at once)",
      positiveSeconds("--reconcile-every"),
      10,
    )
    .option("--base <rev>", "branch, tag or commit to cut new branches from (overrides config base)")
    .option(
      "--on <runner>",
      "where the runs live: a runner's name, any (the runner with the most free slots) or local (overrides each part's runner:)",
    )
    .option(
      "--budget-tokens <n>",
      "this launch may use n tokens in all (its runs and their retries; overrides budget.launch)",
      positiveInt("--budget-tokens"),
    )
    .option(
      "--budget-usd <x>",
      "this launch may spend x USD in all (needs prices:; overrides budget.launch)",
      positiveUsd("--budget-usd"),
    )
    .option(
      "--no-wait",
      "return once each session is open: it provisions itself (worktree, copy, bootstrap) while you go on (follow with ballador status)",
    )
    .option("--dry-run", "show what would start, start nothing")
    .option("--json", "print the result as JSON")
    .addHelpText(
      "after",
      examples(
        "ballador launch",
        "ballador launch --no-wait",
        "ballador launch --max 2",
        "ballador launch extract-events --base v1.2",
        "ballador launch extract-events --on big-box",
        "ballador launch --on any",
        "ballador launch --watch",
        "ballador launch --watch --reconcile-every 2",
        "ballador launch --watch --budget-usd 20",
      ),
    )
    .action(async (tasks: string[], opts: LaunchOpts, cmd: Command) => {
      const print = launchPrinter();
      await withProject(cmd, (p) =>
        !opts.watch || opts.dryRun ? launchOnce(p, tasks, opts, print) : launchWatched(p, tasks, opts, print),
      );
    });
}

function budgetText(b: { tokens?: number; usd?: number }): string {
  const parts = [
    ...(b.tokens !== undefined ? [`${b.tokens} tokens`] : []),
    ...(b.usd !== undefined ? [`$${b.usd.toFixed(2)}`] : []),
  ];
  return `budget ${parts.join(" or ")}`;
}

type LaunchPrinter = (r: LaunchResult, provisioning?: boolean) => void;

/** Prints what each launch started or failed; the launch's budget only the first time. */
function launchPrinter(): LaunchPrinter {
  let budgetSaid = false;
  return (r, provisioning = false) => {
    if (r.launch?.budget && !budgetSaid) {
      budgetSaid = true;
      console.log(
        color.dim(`${r.launch.id}: ${budgetText(r.launch.budget)} in all (the agents' own records)`),
      );
    }
    for (const s of r.started)
      console.log(
        `${color.green("started")} ${s.id}  ${line(s.profile)}  ${line(s.branch)}${s.runner ? `  on runner ${line(s.runner)}` : ""}  (${provisioning ? "provisioning; " : ""}attach: ballador attach ${s.id})`,
      );
    for (const w of r.warnings) console.log(color.yellow(`warning: ${block(w)}`));
    for (const f of r.failed)
      console.log(
        `${color.red("failed")}  ${f.id}: ${block(f.reason)}${f.log ? `\n        log: ${line(f.log)}` : ""}`,
      );
  };
}

/** One launch (or its dry run): start what is ready now and report it. */
async function launchOnce(
  p: Project,
  tasks: string[],
  opts: LaunchOpts,
  print: LaunchPrinter,
): Promise<void> {
  const { launch } = await import("../../run/index.js");
  const face = progressWriter({ json: opts.json === true });
  const r = await launch(p, {
    ...launchRequest(tasks, opts),
    dryRun: opts.dryRun === true,
    // The sessions provision in parallel; the command reports how each one went, unless
    // told not to wait (then status and next show each one's provisioning step).
    wait: opts.wait,
    onProgress: face.say,
    progress: face.progress,
  });
  if (r.failed.length > 0) process.exitCode = 1;
  if (opts.json) return printJson(r);
  if (r.dryRun) for (const a of r.plan) console.log(`would start ${a.id} with ${line(a.profile)}`);
  else print(r, !opts.wait);
  for (const d of r.deferred) console.log(color.dim(`waiting ${d.id}: ${line(d.why)}`));
  if (r.plan.length === 0 && r.started.length === 0 && r.failed.length === 0) {
    console.log('Nothing to start now (see "ballador next").');
  }
}

/** `launch --watch`: keep conducting until stopped, one line (or NDJSON event) per change. */
async function launchWatched(
  p: Project,
  tasks: string[],
  opts: LaunchOpts,
  print: LaunchPrinter,
): Promise<void> {
  const { conduct } = await import("../../watch/index.js");
  const abort = new AbortController();
  // Ctrl-C or SIGTERM (a service manager, `kill`): the conductor stops, the agents do not.
  const stop = () => {
    if (abort.signal.aborted) return;
    if (!opts.json) console.log("\nStopped conducting; running agents keep running (ballador status).");
    abort.abort();
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  const r = await conduct(
    p,
    {
      ...launchRequest(tasks, opts),
      signal: abort.signal,
      reconcileMs: opts.reconcileEvery * 1000,
      onProgress: opts.json ? undefined : (l) => console.log(color.dim(block(l))),
    },
    watchEvents(opts.json === true, print),
  );
  if (opts.json) console.log(JSON.stringify({ event: "end", states: r.states, ...r.end }));
  else {
    for (const w of r.end.words) console.log(line(w));
    console.log(
      `Done conducting: ${Object.entries(r.states)
        .map(([s, n]) => `${n} ${s}`)
        .join(", ")}`,
    );
  }
}

/** What the watching conductor tells the person (or, with --json, a script) as it goes. */
function watchEvents(json: boolean, print: LaunchPrinter): ConductEvents {
  return {
    onLaunch: (x) => (json ? undefined : print(x)),
    // The bell only on a terminal: in a pipe or with --json it would be noise.
    onBell: (text) => {
      if (!json && process.stdout.isTTY) process.stdout.write(`\x07${color.bold(text)}\n`);
    },
    onProblem: (text) => {
      if (!json) console.log(color.yellow(line(text)));
    },
    onChange: (id, from, to, reason) => {
      if (json) console.log(JSON.stringify({ event: "state", id, from: from ?? null, to, reason }));
      else
        console.log(
          `${new Date().toLocaleTimeString()}  ${id}: ${from ?? "new"} -> ${stateColor(to)}${reason ? ` (${line(reason)})` : ""}`,
        );
    },
  };
}
