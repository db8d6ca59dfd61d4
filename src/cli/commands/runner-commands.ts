/** `ballador runner add|list|check|remove`: other machines that run agents, reached over SSH. */
import type { Command } from "commander";
import { age, color, line, printJson, table } from "../output.js";
import { examples, globals, groupCommand, positiveInt, withProject } from "./common.js";

export function registerRunnerCommands(program: Command): void {
  const runner = groupCommand(program.command("runner"))
    .description("runners: other machines that run agents over SSH (add, list, check, remove)")
    .addHelpText(
      "after",
      `${examples(
        "ballador runner add build-box --ssh dev@build.example",
        "ballador runner check build-box",
        "ballador runner list --json",
      )}
A runner is used only after \`runner check\` passed: doctor's checks there (node, git, tmux,
bwrap and user namespaces, socat, ripgrep, the agents), and this Ballador installed there.
Ballador runs the system ssh with your ~/.ssh/config and agent (BALLADOR_SSH_CONFIG: another
config file), one shared connection per runner (BALLADOR_SSH_SHARE=0: one per call). See
docs/runners.md.`,
    );
  registerAdd(runner);
  registerList(runner);
  registerCheck(runner);
  registerRemove(runner);
}

function registerAdd(runner: Command): void {
  runner
    .command("add")
    .description("add a runner to the config (the global one, or the repository's when it lists runners)")
    .argument("<name>", "its name: a-z, 0-9, _ and - (not local or any)")
    .requiredOption("--ssh <target>", "user@host, a Host of your ~/.ssh/config, or ssh://user@host:port")
    .option("--max-sessions <n>", "runs at once there (default 4)", positiveInt("--max-sessions"))
    .option("--root <path>", "where Ballador keeps its files there (default ~/.ballador)")
    .option("--remote <url>", "also set runners_remote: the bare git repository over SSH both sides reach")
    .option("--repo", "write the repository's .ballador/config.yaml instead of your global config")
    .option("--json", "print the result as JSON")
    .addHelpText(
      "after",
      examples(
        "ballador runner add build-box --ssh dev@build.example",
        "ballador runner add gpu --ssh gpu-alias --max-sessions 12 --root /srv/ballador",
        "ballador runner add build-box --ssh dev@build.example --remote ssh://git@build.example/srv/app.git",
      ),
    )
    .action(async (name: string, opts: Record<string, unknown>, cmd: Command) => {
      const { addRunner } = await import("../../setup/index.js");
      const r = await addRunner(globals(cmd).cwd, {
        name,
        ssh: opts.ssh as string,
        ...(opts.maxSessions !== undefined ? { maxSessions: opts.maxSessions as number } : {}),
        ...(opts.root !== undefined ? { root: opts.root as string } : {}),
        ...(opts.remote !== undefined ? { remote: opts.remote as string } : {}),
        repo: opts.repo === true,
      });
      if (opts.json) return printJson(r);
      console.log(
        r.changed
          ? `Added runner ${line(name)} to ${line(r.file)}.`
          : `Runner ${line(name)} is already in ${line(r.file)}; nothing changed.`,
      );
      console.log(`Next: ballador runner check ${line(name)}`);
    });
}

function registerList(runner: Command): void {
  runner
    .command("list")
    .description("the runners, with the last check of each")
    .option("--json", "print the list as JSON")
    .addHelpText(
      "after",
      examples("ballador runner list", "ballador runner list --json | jq '.runners[].check'"),
    )
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const { listRunners, RUNNER_HOLDS_SECRETS } = await import("../../setup/index.js");
      const r = await listRunners(globals(cmd).cwd);
      if (opts.json) return printJson(r);
      if (r.runners.length === 0)
        return console.log("No runners. Add one: ballador runner add NAME --ssh USER@HOST");
      const mark = (c: string) =>
        c === "ok" ? color.green("ok") : c === "failed" ? color.red("failed") : "never";
      console.log(
        table(
          ["NAME", "SSH", "SESSIONS", "CHECK", "CHECKED"],
          r.runners.map((x) => [
            line(x.name),
            line(x.ssh),
            String(x.max_sessions),
            mark(x.check),
            x.checked_at ? age(x.checked_at) : "-",
          ]),
        ),
      );
      for (const x of r.runners.filter((x) => x.reason))
        console.log(`${line(x.name)}: ${line(x.reason ?? "")}`);
      for (const x of r.runners.filter((x) => x.secrets_at === "runner"))
        console.log(`${line(x.name)}: ${RUNNER_HOLDS_SECRETS}`);
      console.log(`runners_remote: ${r.runners_remote ? line(r.runners_remote) : "(not set)"}`);
    });
}

function registerCheck(runner: Command): void {
  runner
    .command("check")
    .description("run doctor's checks on a runner (or all) over ssh and install this Ballador there")
    .argument("[name]", "only this runner")
    .option("--json", "print the checks as JSON")
    .addHelpText(
      "after",
      examples("ballador runner check", "ballador runner check build-box --json | jq '.runners[0].reason'"),
    )
    .action(async (name: string | undefined, opts: { json?: boolean }, cmd: Command) => {
      const { checkRunners } = await import("../../setup/index.js");
      await withProject(cmd, async (p) => {
        const r = await checkRunners(p, name);
        if (opts.json) printJson(r);
        else
          for (const rec of r.runners) {
            console.log(color.bold(`${line(rec.name)} (${line(rec.ssh)})`));
            for (const c of rec.checks) {
              const m = !c.ok ? color.red("✗") : c.warn ? color.yellow("!") : color.green("✓");
              console.log(`  ${m} ${c.name.padEnd(16)} ${line(c.detail)}`);
              if (c.fix && (!c.ok || c.warn)) console.log(`    ${"".padEnd(16)} fix: ${line(c.fix)}`);
            }
            console.log(rec.ok ? "  usable" : color.red(`  refused: ${line(rec.reason ?? "")}`));
          }
        if (!r.ok) process.exitCode = 1;
      });
    });
}

function registerRemove(runner: Command): void {
  runner
    .command("remove")
    .description("remove a runner from the config (and its last check)")
    .argument("<name>", "the runner")
    .option("--json", "print the result as JSON")
    .addHelpText("after", examples("ballador runner remove build-box"))
    .action(async (name: string, opts: { json?: boolean }, cmd: Command) => {
      const { removeRunner } = await import("../../setup/index.js");
      const r = await removeRunner(globals(cmd).cwd, name);
      if (opts.json) return printJson(r);
      console.log(`Removed runner ${line(name)} from ${line(r.file)}.`);
    });
}
