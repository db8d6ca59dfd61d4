import type { Command } from "commander";
import { block, color, line, printJson, table } from "../output.js";
import {
  collect,
  collectGlobs,
  examples,
  globals,
  groupCommand,
  printResult,
  withProject,
} from "./common.js";

export function registerSetupCommands(program: Command): void {
  registerInit(program);
  registerDoctor(program);
  registerSpec(program);
  registerPart(program);
}

function registerInit(program: Command): void {
  program
    .command("init")
    .description("set up Ballador in this git repository (config, spec folder, state ignore rules)")
    .option("--force", "rewrite the config with fresh defaults")
    .option("--json", "print the result as JSON")
    .addHelpText(
      "after",
      `${examples("ballador init", "ballador init --force", "ballador init --json | jq .verify")}
It detects the project's test command for verify (first found: an executable verify.sh, a
Makefile test target, a package.json test script, pytest, Cargo.toml, go.mod) and a bootstrap.`,
    )
    .action(async (opts: { force?: boolean; json?: boolean }, cmd: Command) => {
      const { init } = await import("../../setup/index.js");
      const result = await init(globals(cmd).cwd, { force: opts.force === true });
      if (opts.json) return printJson(result);
      if (!result.changed) {
        console.log(
          `Ballador is already set up in ${result.root}; nothing changed (use --force to rewrite the config).`,
        );
        return;
      }
      console.log(`Ballador set up in ${result.root}`);
      for (const f of result.written) console.log(`  wrote ${f}`);
      for (const f of result.unchanged) console.log(color.dim(`  kept  ${f}`));
      if (result.written.includes(".ballador/config.yaml")) printDetectedVerify(result.verify);
      console.log(
        result.detectedAgents.length > 0
          ? `Agent CLIs found on PATH: ${result.detectedAgents.join(", ")}`
          : "No agent CLI found on PATH; the config names claude. Run `ballador doctor` for what is missing.",
      );
      console.log('Next: ballador spec new "Title"');
    });
}

type DoctorResult = Awaited<ReturnType<typeof import("../../setup/index.js").doctor>>;

function registerDoctor(program: Command): void {
  program
    .command("doctor")
    .description("check git, tmux, node, the sandbox tools, the config and every agent binary")
    .option("--json", "print the checks as JSON")
    .addHelpText(
      "after",
      examples("ballador doctor", "ballador doctor --json | jq '.checks[] | select(.ok == false)'"),
    )
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const { doctor } = await import("../../setup/index.js");
      const result = await doctor(globals(cmd).cwd);
      if (opts.json) printJson(result);
      else printDoctor(result);
      if (!result.ok) process.exitCode = 1;
    });
}

/** One line a check (its fix where it failed or warns), then the count. */
function printDoctor(result: DoctorResult): void {
  for (const c of result.checks) {
    const mark = !c.ok ? color.red("✗") : c.warn ? color.yellow("!") : color.green("✓");
    console.log(`${mark} ${c.name.padEnd(16)} ${line(c.detail)}`);
    if (c.fix && (!c.ok || c.warn)) console.log(`  ${"".padEnd(16)} fix: ${line(c.fix)}`);
  }
  const bad = result.checks.filter((c) => !c.ok).length;
  const warned = result.checks.filter((c) => c.ok && c.warn).length;
  const warnings = `${warned} warning${warned === 1 ? "" : "s"}`;
  console.log(
    bad > 0
      ? `${bad} problem${bad === 1 ? "" : "s"} found${warned ? `, ${warnings}` : ""}.`
      : warned > 0
        ? `No problems; ${warnings} (marked !).`
        : "All checks passed.",
  );
}

function registerSpec(program: Command): void {
  const spec = groupCommand(program.command("spec"))
    .description("living specs: new, list, check")
    .addHelpText(
      "after",
      examples('ballador spec new "Data extraction"', "ballador spec list --json", "ballador spec check"),
    );
  spec
    .command("new")
    .description("create a numbered living spec from the template (status draft)")
    .argument("<title>", "the spec's title")
    .option("--json", "print the result as JSON")
    .addHelpText("after", examples('ballador spec new "Data extraction"'))
    .action(async (title: string, opts: { json?: boolean }, cmd: Command) => {
      const { newSpec } = await import("../../plan/index.js");
      await printResult(
        cmd,
        opts.json,
        (p) => newSpec(p, title),
        (r, p) => {
          console.log(`Created ${r.path}`);
          console.log(
            `Parts for it go in ${p.config.parts_dir}/${r.name}/ (ballador part new ID --spec ${r.number})`,
          );
        },
      );
    });
  spec
    .command("list")
    .description("list specs: number, title, status, part count")
    .option("--json", "print the list as JSON")
    .addHelpText("after", examples("ballador spec list"))
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const { listSpecSummaries } = await import("../../plan/index.js");
      await printResult(cmd, opts.json, listSpecSummaries, (specs) => {
        if (specs.length === 0) return console.log('No specs yet. Create one: ballador spec new "Title"');
        console.log(
          table(
            ["#", "TITLE", "STATUS", "PARTS", "FILE"],
            specs.map((s) => [
              String(s.number).padStart(4, "0"),
              line(s.title),
              line(s.status),
              String(s.parts),
              line(s.path),
            ]),
          ),
        );
      });
    });
  spec
    .command("check")
    .description("find missing sections in specs and parts that link to specs that do not exist")
    .option("--json", "print the problems as JSON")
    .addHelpText("after", examples("ballador spec check"))
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const { checkSpecs } = await import("../../plan/index.js");
      await withProject(cmd, (p) => {
        const problems = checkSpecs(p);
        if (opts.json) printJson({ ok: problems.length === 0, problems });
        else if (problems.length === 0) console.log("Specs and parts are consistent.");
        else
          for (const x of problems)
            console.log(`${line(x.file)}: ${line(x.problem)}\n  fix: ${block(x.fix)}`);
        if (problems.length > 0) process.exitCode = 1;
      });
    });
}

function registerPart(program: Command): void {
  const part = groupCommand(program.command("part"))
    .description("parts: the small tasks cut from a spec")
    .addHelpText(
      "after",
      examples('ballador part new extract-events --spec 1 --title "Emit extraction events"'),
    );
  part
    .command("new")
    .description("scaffold a part file (markdown with front matter) in .ballador/parts/<spec>/")
    .argument("<id>", "unique id: a-z, 0-9 and -")
    .requiredOption("-t, --title <title>", "one-line title")
    .option("-s, --spec <spec>", "spec number, name or path it belongs to")
    .option("-n, --needs <ids>", "dependencies, comma separated (repeatable)", collect, [])
    .option("-a, --agent <profile>", 'agent profile, or "any"')
    .option("-r, --role <role>", "implementer, test-author, reviewer, ...")
    .option("--scope <globs>", "files it expects to touch, comma separated (repeatable)", collectGlobs, [])
    .option("--verify <command>", "override of the project's verify command")
    .option("-p, --priority <n>", "higher starts first", (v) => Number.parseInt(v, 10), 0)
    .option("--json", "print the result as JSON")
    .addHelpText(
      "after",
      examples(
        'ballador part new classify-store --spec 1 --title "Classify and store" --scope "src/store/**"',
        'ballador part new extract-events --spec 1 --title "Emit events" --needs classify-store --agent claude',
      ),
    )
    .action(async (id: string, opts: Record<string, unknown>, cmd: Command) => {
      const { newPart } = await import("../../plan/index.js");
      await withProject(cmd, (p) => {
        const r = newPart(p, {
          id,
          title: opts.title as string,
          needs: opts.needs as string[],
          scope: opts.scope as string[],
          priority: Number.isFinite(opts.priority) ? (opts.priority as number) : 0,
          ...(opts.spec ? { spec: opts.spec as string } : {}),
          ...(opts.agent ? { agent: opts.agent as string } : {}),
          ...(opts.role ? { role: opts.role as string } : {}),
          ...(opts.verify ? { verify: opts.verify as string } : {}),
        });
        if (opts.json) return printJson(r);
        console.log(`Created ${r.path}; describe the goal and acceptance criteria, then: ballador queue`);
      });
    });
}

type VerifyDetection = import("../../core/verify-detect.js").VerifyDetection;

/** What init found to verify with, and why: the person checks it before the first run. */
function printDetectedVerify(d: VerifyDetection): void {
  if (d.verify) {
    console.log(
      `Verify: ${line(d.verify)}${d.bootstrap.length ? `; bootstrap: ${line(d.bootstrap.join(", "))}` : ""}`,
    );
  } else {
    console.log(
      color.yellow(
        "No test command found: set verify: in .ballador/config.yaml (until then tasks reach review unverified, and merge asks for --unverified).",
      ),
    );
  }
  for (const r of d.reasons) console.log(color.dim(`  ${line(r)}`));
}
