import type { Command } from "commander";
import { nowReadyLine } from "../../core/now-ready.js";
import { overrideText } from "../../core/part-verify.js";
import { block, color, line, printJson } from "../output.js";
import { progressWriter } from "../progress.js";
import { examples, withProject } from "./common.js";

export function registerDeliveryCommands(program: Command): void {
  registerReview(program);
  registerMerge(program);
  registerPullRequest(program);
  registerUpdate(program);
  registerSync(program);
}

function registerReview(program: Command): void {
  program
    .command("review")
    .description(
      "a task's review brief (part, spec, notes, verification, diff stat, scope, denials, conflicts) and its diff",
    )
    .argument("<task>", "task id")
    .option("--no-diff", "the brief only")
    .option("--json", "print the brief's data and markdown as JSON")
    .addHelpText(
      "after",
      examples("ballador review extract-events", "ballador review extract-events --no-diff > brief.md"),
    )
    .action(async (id: string, opts: { diff: boolean; json?: boolean }, cmd: Command) => {
      const { writeBrief } = await import("../../verify/index.js");
      await withProject(cmd, async (p) => {
        const brief = await writeBrief(p, id);
        if (opts.json) return printJson({ path: brief.path, data: brief.data, markdown: brief.markdown });
        console.log(block(brief.markdown));
        console.log(color.dim(`(brief saved to ${line(brief.path)})`));
        if (opts.diff && brief.data.head) {
          const { git, resolveCommit } = await import("../../adapters/git/index.js");
          const base = await resolveCommit(p.paths.root, p.config.base);
          if (base) {
            const d = await git(["diff", "--no-color", `${base}...${brief.data.head}`], {
              cwd: p.paths.root,
              allowFail: true,
            });
            // The diff is the agent's text and file names: escaped like the brief.
            console.log(block(d.stdout));
          }
        }
      });
    });
}

function registerMerge(program: Command): void {
  program
    .command("merge")
    .description(
      "merge a reviewed task into the base: in a temporary worktree, re-verified, in dependency order",
    )
    .argument("<task>", "task id")
    .option(
      "--accept-part-verify",
      "merge a task whose part sets its own verify command, not the project's (you checked it)",
    )
    .option(
      "--accept-verify-change",
      "merge even though the branch changes how tests run (files judged by the base's version; listed in the brief)",
    )
    .option("--unverified", "merge a task that no verify command checks (you checked it yourself)")
    .option(
      "--squash",
      "one commit on the base with the branch's changes instead of a merge commit (the agent's iterative commits folded)",
    )
    .option("--json", "print the result as JSON")
    .addHelpText(
      "after",
      examples(
        "ballador merge extract-events",
        "ballador merge extract-events --accept-part-verify",
        "ballador merge extract-events --unverified",
        "ballador merge extract-events --squash",
        "ballador merge extract-events --accept-verify-change",
      ),
    )
    .action(
      async (
        id: string,
        opts: {
          json?: boolean;
          acceptPartVerify?: boolean;
          unverified?: boolean;
          acceptVerifyChange?: boolean;
          squash?: boolean;
        },
        cmd: Command,
      ) => {
        const { merge } = await import("../../deliver/index.js");
        const face = progressWriter({ json: opts.json === true });
        await withProject(cmd, async (p) => {
          const r = await merge(p, id, {
            say: face.say,
            progress: face.progress,
            acceptPartVerify: opts.acceptPartVerify === true,
            unverified: opts.unverified === true,
            acceptVerifyChange: opts.acceptVerifyChange === true,
            squash: opts.squash === true,
          });
          if (opts.json) return printJson(r);
          const how =
            r.squashed !== null
              ? ` (${r.squashed} commit${r.squashed === 1 ? "" : "s"} squashed into one)`
              : "";
          console.log(
            `Merged ${id} into ${r.base} at ${r.commit.slice(0, 10)}${how}${r.fastForward ? " (fast-forward)" : ""}${r.verified ? (r.verificationReused ? ", verification reused (identical tree already verified)" : ", verified") : ", unverified (no verify command)"}.`,
          );
          if (r.partVerify) console.log(color.yellow(`accepted: ${line(overrideText(r.partVerify))}`));
          if (r.acceptedVerifyChanges.length)
            console.log(`Accepted changes to how tests run: ${r.acceptedVerifyChanges.map(line).join(", ")}`);
          const ready = nowReadyLine(r.unblocked, r.watcher);
          if (ready) console.log(ready);
          console.log(`Remove its worktree with: ballador cleanup ${id}`);
        });
      },
    );
}

function registerPullRequest(program: Command): void {
  program
    .command("pr")
    .description(
      "push a reviewed task's branch and open a pull request with its brief as the body (needs gh)",
    )
    .argument("<task>", "task id")
    .option("--draft", "open it as a draft")
    .option(
      "--allow-base-behind",
      "open it even though the remote's base lacks work merged here (the pull request then carries that work too)",
    )
    .option("--json", "print the result as JSON")
    .addHelpText(
      "after",
      examples(
        "ballador pr extract-events",
        "ballador pr extract-events --draft",
        "ballador pr extract-events --allow-base-behind   # the remote's base lacks local merges: open it anyway",
      ),
    )
    .action(
      async (
        id: string,
        opts: { draft?: boolean; allowBaseBehind?: boolean; json?: boolean },
        cmd: Command,
      ) => {
        const { openPullRequest } = await import("../../deliver/index.js");
        await withProject(cmd, async (p) => {
          // Warnings come before the pull request is opened (in --json, in the result).
          const r = await openPullRequest(p, id, {
            draft: opts.draft === true,
            allowBaseBehind: opts.allowBaseBehind === true,
            say: opts.json ? undefined : (w) => console.log(color.yellow(`warning: ${line(w)}`)),
          });
          if (opts.json) return printJson(r);
          console.log(`Pull request for ${id}: ${line(r.url)}`);
        });
      },
    );
}

function registerUpdate(program: Command): void {
  program
    .command("update")
    .description(
      "bring the base (or a stacked task's dependencies) into a reviewed task's branch: clean, re-verified; conflicting, its agent resolves them and the result is verified",
    )
    .argument("<task>", "task id")
    .option("--no-launch", "when the agent must resolve: only record it and mark the task ready")
    .option("--json", "print the result as JSON")
    .addHelpText(
      "after",
      examples("ballador update extract-events", "ballador update extract-events --no-launch"),
    )
    .action(async (id: string, opts: { launch: boolean; json?: boolean }, cmd: Command) => {
      const { update } = await import("../../deliver/index.js");
      const face = progressWriter({ json: opts.json === true });
      await withProject(cmd, async (p) => {
        const r = await update(p, id, {
          launch: opts.launch,
          say: face.say,
          progress: face.progress,
        });
        if (opts.json) return printJson(r);
        if (r.outcome === "up-to-date")
          return console.log(
            `${id} already contains ${p.config.base} and its dependencies; nothing to bring in.`,
          );
        if (r.outcome === "updated")
          return console.log(
            `Updated ${id}: ${r.targets.map((t) => line(t.name)).join(", ")} merged in at ${r.commit?.slice(0, 10)}, verified; it stays in review.`,
          );
        console.log(
          r.conflicts.length
            ? `${id}: conflicts in ${r.conflicts.map((f) => line(f)).join(", ")}; its agent resolves them (the result is verified before it is back in review).`
            : `${id}: merged in, but the result fails verification (${line(r.verifyFailed ?? "")}); its agent fixes it.`,
        );
        if (!r.launched) console.log(`${id} is ready; the next launch starts it.`);
        else for (const s of r.launched.started) console.log(`Started ${s.id}: attempt ${s.attempt}.`);
      });
    });
}

function registerSync(program: Command): void {
  program
    .command("sync")
    .description(
      "follow the pull requests through gh: merged on the forge → the task is merged and its dependents ready; closed, new review comments, failing checks → flagged",
    )
    .option("--json", "print the result as JSON")
    .addHelpText("after", examples("ballador sync", "ballador sync --json"))
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const { sync } = await import("../../deliver/index.js");
      await withProject(cmd, async (p) => {
        const r = await sync(p, { progress: progressWriter({ json: opts.json === true }).progress });
        if (opts.json) return printJson(r);
        if (r.pulls.length === 0)
          return console.log("No open task has a pull request (ballador pr TASK opens one).");
        if (r.baseMoved)
          console.log(
            `${p.config.base} fast-forwarded to ${p.config.remote}/${p.config.base} (${r.baseMoved.from.slice(0, 10)} → ${r.baseMoved.to.slice(0, 10)}).`,
          );
        for (const e of r.pulls) {
          const merged = r.merged.includes(e.task);
          console.log(
            `${e.task}: ${e.state}${merged ? color.green(" → merged here") : ""}  ${color.dim(line(e.url))}`,
          );
          for (const f of e.flags) console.log(`  ! ${line(f)}`);
        }
        const ready = nowReadyLine(r.unblocked, r.watcher);
        if (ready) console.log(ready);
        for (const w of r.warnings) console.log(`warning: ${line(w)}`);
      });
    });
}
