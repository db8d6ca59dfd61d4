/**
 * CLI entry of `ballador-scripted-agent`: finds the script (--script, else the ballador-script
 * block of the prompt), validates it, then runs it in the current directory (the task's worktree).
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { describeAction, LOG_PREFIX, placeholdersFromEnv, runScript, TRANSCRIPT_FILE } from "./run-script.js";
import {
  expandAction,
  extractScriptBlock,
  parseScript,
  SCRIPT_FENCE_INFO,
  type Script,
  ScriptError,
} from "./script.js";

const NAME = "ballador-scripted-agent";

export const USAGE = `Usage: ${NAME} [--script FILE | PROMPT_FILE | --stdin] [--check]

Follows a script of steps like a coding agent: writes files, runs commands, commits, reports
with \`ballador done|note|blocked\`. The script is YAML, taken from (first that applies):
  --script FILE   the file itself
  PROMPT_FILE     the first \`\`\`${SCRIPT_FENCE_INFO} fenced block of this markdown prompt
  --stdin         the same, from a prompt read on standard input
  $BALLADOR_PROMPT_FILE  the same, from that prompt file
Options:
  --check         validate and list the steps without running them
  -h, --help      show this help
Exit codes: 0 done, 1 a step failed (on_error: stop), 2 no script or an invalid one,
or the code of an \`exit\` step.`;

export type MainIo = {
  out: (text: string) => void;
  err: (text: string) => void;
  readStdin: () => Promise<string>;
  env: NodeJS.ProcessEnv;
  cwd: string;
};

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString("utf8");
}

const processIo = (): MainIo => ({
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  readStdin: () => readAll(process.stdin),
  env: process.env,
  cwd: process.cwd(),
});

/** A problem that ends the run before any step: no script, unreadable input, invalid script. */
class SetupError extends Error {}

type Loaded = { script: Script; origin: string };

function fromPrompt(markdown: string, where: string): Loaded {
  const block = extractScriptBlock(markdown);
  if (block === undefined) {
    throw new SetupError(
      `no script: ${where} has no \`\`\`${SCRIPT_FENCE_INFO} fenced block (and no --script FILE was given)`,
    );
  }
  const origin = `${where}, ${SCRIPT_FENCE_INFO} block at line ${block.line}`;
  return { script: parseScript(block.text, origin, block.line), origin };
}

async function readText(file: string, what: string, cwd: string): Promise<string> {
  try {
    return await readFile(path.resolve(cwd, file), "utf8");
  } catch (err) {
    throw new SetupError(`cannot read ${what} ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** Finds the script in the documented order; an explicit option wins over the environment. */
async function loadScript(
  values: { script?: string | undefined; stdin?: boolean | undefined },
  positionals: string[],
  io: MainIo,
): Promise<Loaded> {
  if (values.script !== undefined) {
    const text = await readText(values.script, "the --script file", io.cwd);
    return { script: parseScript(text, values.script), origin: values.script };
  }
  const [promptFile] = positionals;
  if (promptFile !== undefined) {
    return fromPrompt(await readText(promptFile, "the prompt file", io.cwd), `prompt file ${promptFile}`);
  }
  if (values.stdin) return fromPrompt(await io.readStdin(), "the prompt on stdin");
  const envPrompt = io.env.BALLADOR_PROMPT_FILE;
  if (envPrompt) {
    return fromPrompt(
      await readText(envPrompt, "$BALLADOR_PROMPT_FILE", io.cwd),
      `prompt file ${envPrompt} ($BALLADOR_PROMPT_FILE)`,
    );
  }
  throw new SetupError(
    "no script: looked for --script FILE (not given), a prompt file argument (not given), " +
      "--stdin (not given) and $BALLADOR_PROMPT_FILE (not set)",
  );
}

/** Runs the CLI and returns the exit code; the bin sets it on the process. */
export async function main(argv: string[], io: MainIo = processIo()): Promise<number> {
  const fail = (message: string, code = 2): number => {
    io.err(`${NAME}: ${message}\n`);
    return code;
  };
  let parsed: ReturnType<typeof parseCli>;
  try {
    parsed = parseCli(argv);
  } catch (err) {
    return fail(`${err instanceof Error ? err.message : String(err)}\n\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.out(`${USAGE}\n`);
    return 0;
  }
  const sources = [values.script !== undefined, positionals.length > 0, values.stdin === true].filter(
    Boolean,
  );
  if (positionals.length > 1 || sources.length > 1) {
    return fail(`give one script source: --script FILE, a prompt file, or --stdin\n\n${USAGE}`);
  }

  let loaded: Loaded;
  try {
    loaded = await loadScript(values, positionals, io);
  } catch (err) {
    if (err instanceof ScriptError) {
      return fail(`invalid script:\n${err.problems.map((p) => `  - ${p}`).join("\n")}`);
    }
    if (err instanceof SetupError) return fail(err.message);
    throw err;
  }

  const log = (line: string) => io.out(`${line}\n`);
  const { script, origin } = loaded;
  const ph = placeholdersFromEnv(io.env, io.cwd);
  const count = `${script.steps.length} step${script.steps.length === 1 ? "" : "s"}`;
  if (values.check) {
    log(`${LOG_PREFIX} ${origin}: valid, ${count} (on_error: ${script.onError})`);
    for (const step of script.steps) {
      const action = expandAction(step.action, ph);
      log(`${LOG_PREFIX} ${step.index}/${script.steps.length} ${action.kind}: ${describeAction(action)}`);
    }
    return 0;
  }
  log(
    `${LOG_PREFIX} ballador scripted agent: ${count} from ${origin}` +
      ` (task ${ph.task || "-"}, run ${ph.run || "-"}, attempt ${ph.attempt}) in ${io.cwd}`,
  );
  const runDir = io.env.BALLADOR_RUN_DIR;
  return runScript(script, {
    cwd: io.cwd,
    env: io.env,
    log,
    // The inbox is the one part of the run folder an agent may write.
    ...(runDir ? { transcriptPath: path.join(runDir, "inbox", TRANSCRIPT_FILE) } : {}),
  });
}

function parseCli(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      script: { type: "string" },
      stdin: { type: "boolean" },
      check: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
}
