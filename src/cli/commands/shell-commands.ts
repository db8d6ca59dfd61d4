/**
 * Shell completion: `ballador completion bash|zsh|fish` prints a small script that asks
 * `ballador __complete WORDS...` for candidates (the design of cobra and gh), so commands and
 * options always match the installed version and task ids come from the store.
 */
import type { Argument, Command, Option } from "commander";
import { usage } from "../../core/errors.js";
import { printJson } from "../output.js";
import { examples, globals } from "./common.js";

const SHELLS = ["bash", "zsh", "fish"] as const;

const SCRIPTS: Record<(typeof SHELLS)[number], string> = {
  bash: `# ballador completion for bash.
# Install: ballador completion bash > ~/.local/share/bash-completion/completions/ballador
# or add to ~/.bashrc: source <(ballador completion bash)
_ballador_complete() {
  local IFS=$'\\n'
  COMPREPLY=($(ballador __complete -- "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null))
}
complete -o default -F _ballador_complete ballador
`,
  zsh: `#compdef ballador
# ballador completion for zsh.
# Install: ballador completion zsh > "\${fpath[1]}/_ballador"
# or add to ~/.zshrc (after compinit): source <(ballador completion zsh)
_ballador() {
  local -a candidates
  candidates=("\${(@f)$(ballador __complete -- "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
  candidates=("\${(@)candidates:#}")
  if (( \${#candidates} )); then compadd -Q -- "\${candidates[@]}"; else _files; fi
}
if [[ "\${funcstack[1]}" == "_ballador" ]]; then _ballador "$@"; else compdef _ballador ballador; fi
`,
  fish: `# ballador completion for fish.
# Install: ballador completion fish > ~/.config/fish/completions/ballador.fish
complete -c ballador -f -a '(ballador __complete -- (commandline -opc)[2..-1] (commandline -ct) 2>/dev/null)'
`,
};

/** Where a value for an option or argument comes from. */
function valueKind(name: string): "task" | "spec" | "profile" | "file" | string[] {
  if (name === "task" || name === "tasks") return "task";
  if (name === "spec") return "spec";
  if (name === "profile") return "profile";
  if (name === "format") return ["tree", "mermaid", "dot"];
  if (name === "shell") return [...SHELLS];
  return "file";
}

function optionValueName(o: Option): string | null {
  const m = /[<[]([\w-]+)(?:\.\.\.)?[>\]]/.exec(o.flags);
  return m ? (m[1] as string) : null;
}

function visible(cmd: Command): Command[] {
  return cmd.commands.filter((c) => !(c as unknown as { _hidden?: boolean })._hidden);
}

/** Candidates for the last word, given the words before it (the program name excluded). */
export async function complete(program: Command, words: string[], cwd: string): Promise<string[]> {
  const cur = words.at(-1) ?? "";
  const before = words.slice(0, -1);
  let cmd = program;
  let positional = 0;
  let pendingValue: string | null = null;
  for (let i = 0; i < before.length; i++) {
    const w = before[i] as string;
    if (w === "-C" || w === "--cwd") {
      cwd = before[i + 1] ?? cwd;
      i++;
      continue;
    }
    if (w.startsWith("-")) {
      const o = [...cmd.options, ...program.options].find((x) => x.long === w || x.short === w);
      const name = o ? optionValueName(o) : null;
      if (name && !w.includes("=")) {
        if (i === before.length - 1) pendingValue = name;
        i++;
      }
      continue;
    }
    const sub = visible(cmd).find((c) => c.name() === w || c.aliases().includes(w));
    if (sub && positional === 0) cmd = sub;
    else positional++;
  }
  const kind = pendingValue
    ? valueKind(pendingValue)
    : cur.startsWith("-")
      ? null
      : (() => {
          const subs = visible(cmd);
          if (subs.length > 0 && positional === 0) return subs.map((c) => c.name());
          const args = (cmd as unknown as { registeredArguments: readonly Argument[] }).registeredArguments;
          const arg = args[Math.min(positional, args.length - 1)];
          if (!arg || (positional >= args.length && !arg.variadic)) return "file";
          return valueKind(arg.name());
        })();
  let values: string[];
  if (kind === null) {
    values = [...cmd.options, ...(cmd === program ? [] : program.options)]
      .flatMap((o) => [o.long, o.short])
      .filter((x): x is string => typeof x === "string")
      .concat("--help");
  } else if (Array.isArray(kind)) values = kind;
  else if (kind === "file") values = [];
  else {
    // The project's door, not setup's: this runs on every Tab press (setup's door loads doctor and demo too).
    const { completionValues, openProject } = await import("../../project/index.js");
    values = await openProject(cwd)
      .then((project) => {
        try {
          return completionValues(project, kind);
        } finally {
          project.close();
        }
      })
      .catch(() => []);
  }
  return [...new Set(values)].filter((v) => v.startsWith(cur)).sort();
}

export function registerShellCommands(program: Command): void {
  program
    .command("completion")
    .description("print a shell completion script (commands, options, task ids, specs, profiles)")
    .argument("<shell>", "bash, zsh or fish")
    .option("--json", "print the script as JSON")
    .addHelpText(
      "after",
      examples(
        "source <(ballador completion bash)            # in ~/.bashrc",
        "ballador completion zsh > ~/.zfunc/_ballador   # with fpath+=(~/.zfunc) in ~/.zshrc",
        "ballador completion fish > ~/.config/fish/completions/ballador.fish",
      ),
    )
    .action((shell: string, opts: { json?: boolean }) => {
      if (!(SHELLS as readonly string[]).includes(shell)) {
        throw usage(
          "invalid_argument",
          `completion: "${shell}" is not a shell I know; use bash, zsh or fish`,
        );
      }
      const script = SCRIPTS[shell as (typeof SHELLS)[number]];
      if (opts.json) return printJson({ shell, script });
      process.stdout.write(script);
    });

  program
    .command("__complete", { hidden: true })
    .description("candidates for the word being completed (used by the completion scripts)")
    .argument("[words...]", "the words after the program name; the last one is being completed")
    .option("--json", "print the candidates as JSON")
    .allowUnknownOption()
    .helpOption(false)
    .action(async (words: string[], opts: { json?: boolean }, cmd: Command) => {
      const values = await complete(program, words.length > 0 ? words : [""], globals(cmd).cwd);
      if (opts.json) return printJson({ candidates: values });
      if (values.length > 0) process.stdout.write(`${values.join("\n")}\n`);
    });
}
