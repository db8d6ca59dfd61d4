/**
 * A person steering a task between attempts: approve a paused pipeline, send the work back with
 * what must change (own words, a file, or a pull request's review comments), or retry it.
 */
import type { Command } from "commander";
import { block, color, line, printJson } from "../output.js";
import { examples, globals, printResult, withProject } from "./common.js";
import { insideRun, recordVerdict } from "./inside-commands.js";

type RetryResult = import("../../run/index.js").RetryResult;
type ApproveResult = Awaited<ReturnType<typeof import("../../run/index.js").approve>>;

export function registerApprove(program: Command): void {
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
      if (insideRun()) return recordVerdict(cmd, "approve", (words ?? []).join(" "), opts.json);
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
      await printResult(
        cmd,
        opts.json,
        (p) => approve(p, id, { launch: opts.launch }),
        (r) => printApproved(id, r),
      );
    });
}

function printApproved(id: string, r: ApproveResult): void {
  console.log(`Approved ${id}: its pipeline continues with ${r.stage}.`);
  if (!r.launched) {
    console.log(`Ready; start it with: ballador launch ${id}`);
    return;
  }
  for (const s of r.launched.started)
    console.log(`${color.green("started")} ${s.id}  ${line(s.profile)}  (attach: ballador attach ${s.id})`);
  for (const f of r.launched.failed) {
    console.log(`${color.red("failed")}  ${f.id}: ${block(f.reason)}`);
    process.exitCode = 1;
  }
}

export function registerRequestChanges(program: Command): void {
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
        // The agent's form only ever writes its own run's inbox, so an agent gains nothing by
        // dropping BALLADOR_RUN_DIR.
        if (insideRun()) {
          if (opts.file !== undefined || !opts.launch)
            throw new UserError(
              'inside a run, request-changes is the reviewer\'s verdict: ballador request-changes "what must change" (no --file, no --no-launch)',
              2,
            );
          return recordVerdict(cmd, "changes", words.join(" "), opts.json);
        }
        const [id, ...rest] = words as [string, ...string[]];
        const message = await requestMessage(cmd, rest, opts.file);
        if (message === null)
          throw new UserError(
            `say what must change: ballador request-changes ${id} "what must change" (or --file FILE)`,
            2,
            [],
            "missing_message",
          );
        await sendBack(cmd, id, { launch: opts.launch, message, verb: "request-changes", json: opts.json });
      },
    );
}

/** The person's words for the next attempt, from the command line or a file (null: none given). */
async function requestMessage(cmd: Command, words: string[], file: string | undefined) {
  const { requestText } = await import("../../run/index.js");
  return requestText({
    ...(words.length > 0 ? { text: words.join(" ") } : {}),
    ...(file !== undefined ? { file } : {}),
    cwd: globals(cmd).cwd,
  });
}

/** A new attempt of the task carrying the person's words (request-changes, feedback without --from-pr). */
async function sendBack(
  cmd: Command,
  id: string,
  o: { launch: boolean; message: string | null; verb: "request-changes" | "feedback"; json?: boolean },
): Promise<void> {
  const { retry } = await import("../../run/index.js");
  await printResult(
    cmd,
    o.json,
    (p) => retry(p, id, { launch: o.launch, message: o.message, verb: o.verb }),
    (r) => printRetry(id, r, "Sent back"),
  );
}

interface FeedbackOpts {
  fromPr?: boolean;
  all?: boolean;
  file?: string;
  launch: boolean;
  json?: boolean;
}

export function registerFeedback(program: Command): void {
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
    .action(feedback);
}

async function feedback(id: string, words: string[], opts: FeedbackOpts, cmd: Command): Promise<void> {
  const { UserError } = await import("../../project/index.js");
  if (insideRun())
    throw new UserError("feedback is the person's command; inside a run, report with ballador note", 2);
  const message = await requestMessage(cmd, words, opts.file);
  if (!opts.fromPr && message === null)
    throw new UserError(
      `say what to send back: ballador feedback ${id} --from-pr, or ballador feedback ${id} "what must change"`,
      2,
      [],
      "missing_message",
    );
  if (!opts.fromPr)
    return sendBack(cmd, id, { launch: opts.launch, message, verb: "feedback", json: opts.json });
  const { feedbackFromPr } = await import("../../deliver/index.js");
  const { commentPlace } = await import("../../core/pr-review.js");
  await withProject(cmd, async (p) => {
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
}

export function registerRetry(program: Command): void {
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
      const { retry, requestText } = await import("../../run/index.js");
      const message =
        opts.message !== undefined ? requestText({ text: opts.message, cwd: globals(cmd).cwd }) : null;
      await printResult(
        cmd,
        opts.json,
        (p) => retry(p, id, { launch: opts.launch, message }),
        (r) => printRetry(id, r, "Retrying"),
      );
    });
}

function printRetry(id: string, r: RetryResult, verb: string): void {
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
