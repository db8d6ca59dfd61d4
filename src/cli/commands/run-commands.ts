import { spawn } from "node:child_process";
import { type Command, InvalidArgumentError } from "commander";
import { block, color, line, printJson, stateColor } from "../output.js";
import { progressWriter } from "../progress.js";
import { examples, globals, positiveInt, withProject } from "./common.js";

function budgetText(b: { tokens?: number; usd?: number }): string {
  const parts = [
    ...(b.tokens !== undefined ? [`${b.tokens} tokens`] : []),
    ...(b.usd !== undefined ? [`$${b.usd.toFixed(2)}`] : []),
  ];
  return `budget ${parts.join(" or ")}`;
}

function positiveUsd(flag: string) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0)
      throw new InvalidArgumentError(
        `${flag} must be an amount of USD above 0, such as 5 or 0.5, got "${v}"`,
      );
    return n;
  };
}

function positiveSeconds(flag: string) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0)
      throw new InvalidArgumentError(`${flag} must be a number of seconds above 0, got "${v}"`);
    return n;
  };
}

export function registerRunCommands(program: Command): void {
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
        "ballador launch --watch",
        "ballador launch --watch --reconcile-every 2",
        "ballador launch --watch --budget-usd 20",
      ),
    )
    .action(
      async (
        tasks: string[],
        opts: {
          max?: number;
          watch?: boolean;
          wait: boolean;
          reconcileEvery: number;
          base?: string;
          budgetTokens?: number;
          budgetUsd?: number;
          dryRun?: boolean;
          json?: boolean;
        },
        cmd: Command,
      ) => {
        const { launch } = await import("../../run/index.js");
        let budgetSaid = false;
        const print = (r: import("../../run/index.js").LaunchResult, provisioning = false) => {
          if (r.launch?.budget && !budgetSaid) {
            budgetSaid = true;
            console.log(
              color.dim(`${r.launch.id}: ${budgetText(r.launch.budget)} in all (the agents' own records)`),
            );
          }
          for (const s of r.started)
            console.log(
              `${color.green("started")} ${s.id}  ${line(s.profile)}  ${line(s.branch)}  (${provisioning ? "provisioning; " : ""}attach: ballador attach ${s.id})`,
            );
          for (const w of r.warnings) console.log(color.yellow(`warning: ${block(w)}`));
          for (const f of r.failed)
            console.log(
              `${color.red("failed")}  ${f.id}: ${block(f.reason)}${f.log ? `\n        log: ${line(f.log)}` : ""}`,
            );
        };
        await withProject(cmd, async (p) => {
          const base = {
            tasks,
            ...(opts.max ? { max: opts.max } : {}),
            ...(opts.base ? { base: opts.base } : {}),
            ...(opts.budgetTokens !== undefined || opts.budgetUsd !== undefined
              ? {
                  launchBudget: {
                    ...(opts.budgetTokens !== undefined ? { tokens: opts.budgetTokens } : {}),
                    ...(opts.budgetUsd !== undefined ? { usd: opts.budgetUsd } : {}),
                  },
                }
              : {}),
          };
          if (!opts.watch || opts.dryRun) {
            const face = progressWriter({ json: opts.json === true });
            const r = await launch(p, {
              ...base,
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
            return;
          }
          const { conduct } = await import("../../watch/index.js");
          const abort = new AbortController();
          // Ctrl-C or SIGTERM (a service manager, `kill`): the conductor stops, the agents do not.
          const stop = () => {
            if (abort.signal.aborted) return;
            if (!opts.json)
              console.log("\nStopped conducting; running agents keep running (ballador status).");
            abort.abort();
          };
          process.once("SIGINT", stop);
          process.once("SIGTERM", stop);
          const r = await conduct(
            p,
            {
              ...base,
              signal: abort.signal,
              reconcileMs: opts.reconcileEvery * 1000,
              onProgress: opts.json ? undefined : (l) => console.log(color.dim(block(l))),
            },
            {
              onLaunch: (x) => (opts.json ? undefined : print(x)),
              // The bell only on a terminal: in a pipe or with --json it would be noise.
              onBell: (text) => {
                if (!opts.json && process.stdout.isTTY) process.stdout.write(`\x07${color.bold(text)}\n`);
              },
              onProblem: (text) => {
                if (!opts.json) console.log(color.yellow(line(text)));
              },
              onChange: (id, from, to, reason) => {
                if (opts.json)
                  console.log(JSON.stringify({ event: "state", id, from: from ?? null, to, reason }));
                else
                  console.log(
                    `${new Date().toLocaleTimeString()}  ${id}: ${from ?? "new"} -> ${stateColor(to)}${reason ? ` (${line(reason)})` : ""}`,
                  );
              },
            },
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
        });
      },
    );

  for (const [name, description, example] of [
    [
      "note",
      "record a decision and its reason (from inside a run)",
      'ballador note "kept the v1 API: clients depend on it"',
    ],
    [
      "blocked",
      "report that there is truly no way forward, and why (from inside a run)",
      'ballador blocked "needs the STRIPE_KEY secret"',
    ],
  ] as const) {
    program
      .command(name)
      .description(description)
      .argument("<text...>", name === "note" ? "the note" : "why")
      .option("--json", "print the result as JSON")
      .addHelpText("after", examples(example))
      .action(async (words: string[], opts: { json?: boolean }, cmd: Command) => {
        const { report } = await import("../../inside/index.js");
        const r = await report(globals(cmd).cwd, name, words.join(" "));
        if (opts.json) return printJson(r);
        console.log(
          name === "note"
            ? `Noted for ${r.taskId}.`
            : `Reported blocked for ${r.taskId}; Ballador will end this run.`,
        );
      });
  }
  program
    .command("approve")
    .description(
      "continue a task's pipeline paused for your check (a person, outside any run); inside a reviewer or auditor run: the verdict that the change is good",
    )
    .argument("[words...]", 'TASK (inside a reviewer run: "what you checked")')
    .option("--no-launch", "only mark the task ready for its next stage; the next launch starts it")
    .option("--json", "print the result as JSON")
    .addHelpText(
      "after",
      `${examples("ballador approve extract-events", "ballador approve extract-events --no-launch")}

A pipeline with pause_after stops in review after that stage (say, once the test author's tests
are written); approve starts its next stage, request-changes sends it back to the stage it
paused after. Inside a reviewer or auditor run (BALLADOR_RUN_DIR is set) the command is the
verdict:
  ballador approve "checked the parser edge cases"`,
    )
    .action(async (words: string[] | undefined, opts: { launch: boolean; json?: boolean }, cmd: Command) => {
      // Every run has BALLADOR_RUN_DIR; a person's shell has not (see request-changes).
      if (process.env.BALLADOR_RUN_DIR) {
        const { report } = await import("../../inside/index.js");
        const r = await report(globals(cmd).cwd, "approve", (words ?? []).join(" "));
        if (opts.json) return printJson(r);
        return console.log(`Verdict recorded for ${r.taskId}.`);
      }
      const { UserError } = await import("../../project/index.js");
      const [id, ...rest] = words ?? [];
      if (!id || rest.length > 0)
        throw new UserError(
          id
            ? `approve takes one task id, got "${[id, ...rest].join(" ")}"`
            : "name the task: ballador approve TASK",
          2,
          [],
          "missing_task",
        );
      const { approve } = await import("../../run/index.js");
      await withProject(cmd, async (p) => {
        const r = await approve(p, id, { launch: opts.launch });
        if (opts.json) return printJson(r);
        console.log(`Approved ${id}: its pipeline continues with ${r.stage}.`);
        if (r.launched) {
          for (const s of r.launched.started)
            console.log(
              `${color.green("started")} ${s.id}  ${line(s.profile)}  (attach: ballador attach ${s.id})`,
            );
          for (const f of r.launched.failed) {
            console.log(`${color.red("failed")}  ${f.id}: ${block(f.reason)}`);
            process.exitCode = 1;
          }
        } else console.log(`Ready; start it with: ballador launch ${id}`);
      });
    });
  program
    .command("request-changes")
    .description(
      "send a task's work back to its agent with what must change (a person, outside any run); inside a reviewer run: the reviewer's verdict",
    )
    .argument("<words...>", 'TASK "what must change" (inside a reviewer run: only "what must change")')
    .option("-f, --file <file>", "read what must change from a file (the person's form)")
    .option("--no-launch", "only record the request and mark the task ready; the next launch starts it")
    .option("--json", "print the result as JSON")
    .addHelpText(
      "after",
      `${examples(
        'ballador request-changes extract-events "keep empty lines; add a test for them"',
        "ballador request-changes extract-events --file review.md",
        'ballador request-changes extract-events --no-launch "rename the flag to --strict"',
      )}

The person's words go into the prompt of the task's next attempt (and of its automatic retries
until the work is back in review), continuing the agent's conversation where its preset can.
Inside a reviewer run (BALLADOR_RUN_DIR is set) the command is the reviewer's verdict:
  ballador request-changes "empty lines are dropped"`,
    )
    .action(
      async (words: string[], opts: { file?: string; launch: boolean; json?: boolean }, cmd: Command) => {
        const { UserError } = await import("../../project/index.js");
        // Every run has BALLADOR_RUN_DIR; a person's shell has not. The agent's form only ever
        // writes its own run's inbox, so an agent gains nothing by dropping the variable.
        if (process.env.BALLADOR_RUN_DIR) {
          if (opts.file !== undefined || !opts.launch)
            throw new UserError(
              'inside a run, request-changes is the reviewer\'s verdict: ballador request-changes "what must change" (no --file, no --no-launch)',
              2,
            );
          const { report } = await import("../../inside/index.js");
          const r = await report(globals(cmd).cwd, "changes", words.join(" "));
          if (opts.json) return printJson(r);
          return console.log(`Verdict recorded for ${r.taskId}.`);
        }
        const [id, ...rest] = words as [string, ...string[]];
        const { requestText } = await import("../../run/index.js");
        const message = requestText({
          ...(rest.length > 0 ? { text: rest.join(" ") } : {}),
          ...(opts.file !== undefined ? { file: opts.file } : {}),
          cwd: globals(cmd).cwd,
        });
        if (message === null)
          throw new UserError(
            `say what must change: ballador request-changes ${id} "what must change" (or --file FILE)`,
            2,
            [],
            "missing_message",
          );
        const { retry } = await import("../../run/index.js");
        await withProject(cmd, async (p) => {
          const r = await retry(p, id, { launch: opts.launch, message, verb: "request-changes" });
          if (opts.json) return printJson(r);
          printRetry(id, r, "Sent back");
        });
      },
    );

  program
    .command("feedback")
    .description(
      "send a task's work back to its agent with the review comments of its pull request (--from-pr, through gh) and/or your own words",
    )
    .argument("<task>", "task id")
    .argument("[words...]", "your own words, sent with the comments (optional with --from-pr)")
    .option(
      "--from-pr",
      "pull the review comments of the task's pull request (file, line, author) through gh",
    )
    .option("--all", "with --from-pr: send every comment again, not only those not sent before")
    .option("-f, --file <file>", "read your own words from a file")
    .option("--no-launch", "only record the feedback and mark the task ready; the next launch starts it")
    .option("--json", "print the result as JSON")
    .addHelpText(
      "after",
      `${examples(
        "ballador feedback extract-events --from-pr",
        'ballador feedback extract-events --from-pr "the second comment is wrong; ignore it"',
        "ballador feedback extract-events --from-pr --no-launch",
      )}

The comments are quoted in the next attempt's prompt as review points written by their authors
(anyone on the pull request), not as your instructions; your own words are. Each comment is sent
once: a later feedback --from-pr sends only new ones (--all: every one again). Without --from-pr
this is request-changes.`,
    )
    .action(
      async (
        id: string,
        words: string[],
        opts: { fromPr?: boolean; all?: boolean; file?: string; launch: boolean; json?: boolean },
        cmd: Command,
      ) => {
        const { UserError } = await import("../../project/index.js");
        if (process.env.BALLADOR_RUN_DIR)
          throw new UserError("feedback is the person's command; inside a run, report with ballador note", 2);
        const { requestText } = await import("../../run/index.js");
        const message = requestText({
          ...(words.length > 0 ? { text: words.join(" ") } : {}),
          ...(opts.file !== undefined ? { file: opts.file } : {}),
          cwd: globals(cmd).cwd,
        });
        if (!opts.fromPr && message === null)
          throw new UserError(
            `say what to send back: ballador feedback ${id} --from-pr, or ballador feedback ${id} "what must change"`,
            2,
            [],
            "missing_message",
          );
        await withProject(cmd, async (p) => {
          if (!opts.fromPr) {
            const { retry } = await import("../../run/index.js");
            const r = await retry(p, id, { launch: opts.launch, message, verb: "feedback" });
            if (opts.json) return printJson(r);
            return printRetry(id, r, "Sent back");
          }
          const { feedbackFromPr } = await import("../../deliver/index.js");
          const { commentPlace } = await import("../../core/pr-review.js");
          const r = await feedbackFromPr(p, id, { launch: opts.launch, message, all: opts.all === true });
          if (opts.json) return printJson(r);
          console.log(
            `Sent back ${r.sent.length} review comment${r.sent.length === 1 ? "" : "s"} from ${line(r.pullRequest)}${r.alreadySent ? ` (${r.alreadySent} sent before, not again)` : ""}:`,
          );
          for (const c of r.sent)
            console.log(`  ${commentPlace({ ...c, body: "", at: null })}, by ${line(c.author)}`);
          if (r.omitted)
            console.log(`  (${r.omitted} more left out for size; the next feedback --from-pr sends them)`);
          printRetry(id, r, "Sent back");
        });
      },
    );

  program
    .command("hook")
    .description(
      "for an agent's own hooks, from inside a run: it waits for a person, or works again (prints nothing)",
    )
    .argument(
      "[event]",
      "Notification, Stop, UserPromptSubmit or PreToolUse (default: hook_event_name on stdin)",
    )
    .option("--json", "print the report written, and errors, as JSON (a hook never does)")
    .addHelpText(
      "after",
      `${examples("ballador hook Stop < event.json", 'echo \'{"hook_event_name":"Notification","message":"Claude needs your permission"}\' | ballador hook')}

Ballador seeds these hooks into a sandboxed Claude Code run's settings. Without --json it
prints nothing on stdout and always exits 0, so it can never change what the agent does.`,
    )
    .action(async (event: string | undefined, opts: { json?: boolean }, cmd: Command) => {
      const { hookReport } = await import("../../inside/index.js");
      let input = "";
      if (!process.stdin.isTTY) {
        for await (const chunk of process.stdin) {
          input += String(chunk);
          if (input.length > 1024 * 1024) break;
        }
      }
      if (opts.json) {
        const r = await hookReport(globals(cmd).cwd, event, input);
        return printJson(r ?? { ignored: true });
      }
      try {
        await hookReport(globals(cmd).cwd, event, input);
      } catch (err) {
        process.stderr.write(`ballador hook: ${(err as Error).message}\n`);
      }
    });

  program
    .command("done")
    .description("report the work as done (from inside a run); refused while changes are uncommitted")
    .option("-s, --summary <text>", "what you did, for the reviewer")
    .option("--allow-dirty", "report done even with uncommitted changes")
    .option("--json", "print the result as JSON")
    .addHelpText("after", examples('ballador done --summary "events emitted for every extraction"'))
    .action(async (opts: { summary?: string; allowDirty?: boolean; json?: boolean }, cmd: Command) => {
      const { report } = await import("../../inside/index.js");
      const r = await report(globals(cmd).cwd, "done", opts.summary ?? "", {
        allowDirty: opts.allowDirty === true,
      });
      if (opts.json) return printJson(r);
      console.log(`Reported done for ${r.taskId}; Ballador verifies the work and ends this run.`);
    });

  program
    .command("stop")
    .description("close a task's session and keep its worktree (state stopped; resume continues)")
    .argument("<task>", "task id")
    .option("--json", "print the result as JSON")
    .addHelpText("after", examples("ballador stop extract-events"))
    .action(async (id: string, opts: { json?: boolean }, cmd: Command) => {
      const { stop } = await import("../../run/index.js");
      await withProject(cmd, async (p) => {
        const r = await stop(p, id);
        if (opts.json) return printJson(r);
        console.log(
          `Stopped ${id}; worktree kept${r.worktree ? ` at ${line(r.worktree)}` : ""}. Continue with: ballador resume ${id}`,
        );
      });
    });

  program
    .command("resume")
    .description("continue a stopped, blocked or failed task in its worktree, in a new session")
    .argument("<task>", "task id")
    .option("--json", "print the result as JSON")
    .addHelpText("after", examples("ballador resume extract-events"))
    .action(async (id: string, opts: { json?: boolean }, cmd: Command) => {
      const { resume } = await import("../../run/index.js");
      await withProject(cmd, async (p) => {
        const r = await resume(p, id);
        if (opts.json) return printJson(r);
        for (const s of r.started)
          console.log(`Resumed ${s.id} (attempt ${s.attempt}) in ${line(s.worktree)}`);
        for (const f of r.failed) console.log(color.red(`failed ${f.id}: ${block(f.reason)}`));
        for (const d of r.deferred) console.log(`not started: ${line(d.why)}`);
        if (r.started.length === 0) process.exitCode = 1;
      });
    });

  program
    .command("retry")
    .description("start a new attempt of a failed, blocked, stopped or reviewed task")
    .argument("<task>", "task id")
    .option("--no-launch", "only mark it ready; the next launch starts it")
    .option("-m, --message <text>", "what the next attempt must do differently (goes into its prompt)")
    .option("--json", "print the result as JSON")
    .addHelpText(
      "after",
      examples(
        "ballador retry extract-events",
        "ballador retry extract-events --no-launch",
        'ballador retry extract-events --message "the fixture moved to test/data; use it"',
      ),
    )
    .action(async (id: string, opts: { launch: boolean; message?: string; json?: boolean }, cmd: Command) => {
      const { retry } = await import("../../run/index.js");
      const { requestText } = await import("../../run/index.js");
      const message =
        opts.message !== undefined ? requestText({ text: opts.message, cwd: globals(cmd).cwd }) : null;
      await withProject(cmd, async (p) => {
        const r = await retry(p, id, { launch: opts.launch, message });
        if (opts.json) return printJson(r);
        printRetry(id, r, "Retrying");
      });
    });

  program
    .command("abandon")
    .description("give a task up (its session is closed; cleanup removes its worktree)")
    .argument("<task>", "task id")
    .option("--json", "print the result as JSON")
    .addHelpText("after", examples("ballador abandon extract-events"))
    .action(async (id: string, opts: { json?: boolean }, cmd: Command) => {
      const { abandon } = await import("../../run/index.js");
      await withProject(cmd, async (p) => {
        const r = await abandon(p, id);
        if (opts.json) return printJson(r);
        console.log(`Abandoned ${id}. Remove its worktree with: ballador cleanup ${id}`);
      });
    });

  program
    .command("logs")
    .description("the terminal output of a task's latest run")
    .argument("<task>", "task id")
    .option("-f, --follow", "keep printing until the run ends")
    .option("--raw", "print the stream exactly as recorded, escape sequences and all")
    .option("--json", "print the log (the stream, and its screen text) and its location as JSON")
    .addHelpText(
      "after",
      `${examples("ballador logs extract-events", "ballador logs extract-events -f", "ballador logs extract-events --raw > session.log")}

By default the log is the session's screen history as plain text: the recorded stream played
through a terminal emulator of the session's size, so a full-screen agent's redraws read as
the screens it showed, not as fragments. --follow prints the stream as it comes: replayed with
its colours on a terminal, framed as the agent's (a header and a "TASK │" gutter on every line),
without what an agent could use against the terminal: titles, links, clipboard writes, device
queries, clearing the screen, moving the cursor outside its own lines, concealed text;
escape sequences removed in a pipe. --raw prints
every byte.`,
    )
    .action(async (id: string, opts: { follow?: boolean; raw?: boolean; json?: boolean }, cmd: Command) => {
      const { logFile, readLog } = await import("../../run/index.js");
      const { stripTerminal, terminalBlock } = await import("../../core/terminal-text.js");
      const { TerminalReplay } = await import("../../core/terminal-replay.js");
      await withProject(cmd, async (p) => {
        const { run, file } = logFile(p, id);
        if (!opts.follow && !opts.raw) {
          const { screenText } = await import("../../adapters/terminal/screen-text.js");
          const { SESSION_SIZE } = await import("../../adapters/tmux/index.js");
          const log = readLog(file);
          const text = await screenText(log, SESSION_SIZE);
          if (opts.json) return printJson({ task: id, run: run.id, file, log, text });
          process.stdout.write(terminalBlock(text));
          return;
        }
        if (opts.json) return printJson({ task: id, run: run.id, file, log: readLog(file) });
        // On a terminal the stream is replayed inside a frame naming the task (issue 29).
        const replay =
          opts.raw || !process.stdout.isTTY
            ? undefined
            : new TerminalReplay({ task: id, run: run.id, columns: process.stdout.columns });
        const render = opts.raw ? (t: string) => t : replay ? (t: string) => replay.write(t) : stripTerminal;
        if (replay) {
          process.stdout.write(replay.start());
          // Ctrl-C closes the frame: the terminal's autowrap and colours come back.
          process.once("SIGINT", () => {
            process.stdout.write(replay.end());
            process.exit(130);
          });
        }
        let printed = 0;
        // Whole lines only while following, so no escape sequence is cut in two between reads.
        const flush = (final: boolean) => {
          const text = readLog(file);
          const end = final || opts.raw ? text.length : text.lastIndexOf("\n", text.length - 1) + 1;
          if (end > printed) process.stdout.write(render(text.slice(printed, end)));
          printed = Math.max(printed, end);
        };
        if (!opts.follow) return flush(true);
        flush(false);
        while (p.store().run(run.id)?.status !== "ended") {
          await new Promise((r) => setTimeout(r, 300));
          flush(false);
        }
        await new Promise((r) => setTimeout(r, 300));
        flush(true);
        if (replay) process.stdout.write(replay.end());
      });
    });

  program
    .command("attach")
    .description("jump into a task's live session (or print the command when not in a terminal)")
    .argument("<task>", "task id")
    .option("--json", "print the attach command as JSON")
    .addHelpText("after", examples("ballador attach extract-events   # detach again with Ctrl-b d"))
    .action(async (id: string, opts: { json?: boolean }, cmd: Command) => {
      const { attachArgs } = await import("../../run/index.js");
      await withProject(cmd, async (p) => {
        const { args, live, state, ran } = attachArgs(p, id);
        const { refused } = await import("../../project/index.js");
        const { noSessionMessage } = await import("../../core/attach-hint.js");
        const message = live ? null : noSessionMessage(id, state, ran);
        if (opts.json) return printJson({ task: id, live, state, ran, message, command: args });
        if (message) throw refused("no_live_session", message);
        if (!process.stdin.isTTY || !process.stdout.isTTY) {
          console.log(
            args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`)).join(" "),
          );
          return;
        }
        await new Promise<void>((resolve) => {
          const child = spawn(args[0] as string, args.slice(1), { stdio: "inherit" });
          child.on("exit", () => resolve());
        });
      });
    });

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
        const { cleanup } = await import("../../run/index.js");
        await withProject(cmd, async (p) => {
          const r = await cleanup(p, {
            tasks,
            all: opts.all === true,
            force: opts.force === true,
            progress: progressWriter({ json: opts.json === true }).progress,
          });
          if (opts.json) printJson(r);
          else {
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
          // Some work was kept because removing it would lose it: a refusal (exit 4).
          if (r.refused.length > 0) process.exitCode = 4;
        });
      },
    );

  program
    .command("demo")
    .description(
      "the whole journey on a throwaway repo: spec, four parts, scripted agents in parallel, review queue",
    )
    .option("--keep", "keep the throwaway repo and its sessions (otherwise removed at the end)")
    .option("--dir <dir>", "where to create the throwaway repo (default: a new temp folder)")
    .option("--json", "print the final status and next as JSON")
    .addHelpText("after", examples("ballador demo", "ballador demo --keep"))
    .action(async (opts: { keep?: boolean; dir?: string; json?: boolean }) => {
      const { demo } = await import("../../setup/index.js");
      const r = await demo({
        keep: opts.keep === true,
        ...(opts.dir ? { dir: opts.dir } : {}),
        json: opts.json === true,
      });
      if (!r.ok) process.exitCode = 1;
    });
}

function printRetry(id: string, r: import("../../run/index.js").RetryResult, verb: string): void {
  if (r.message)
    console.log(`Recorded your requested changes for ${id}; its next attempt's prompt carries them.`);
  if (!r.launched) {
    console.log(`${id} is ready again; the next launch starts it.`);
    return;
  }
  for (const s of r.launched.started) console.log(`${verb} ${s.id}: attempt ${s.attempt} started.`);
  for (const f of r.launched.failed) console.log(color.red(`failed ${f.id}: ${block(f.reason)}`));
  for (const d of r.launched.deferred) console.log(`${id} is ready; not started now: ${line(d.why)}`);
}
