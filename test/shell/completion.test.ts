/**
 * Completion scripts loaded in real shells complete commands, options, task ids, spec numbers
 * and profile names. bash always; zsh and fish when installed.
 */
import { execFileSync } from "node:child_process";
import { mkdir, symlink } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { BIN, runProgram, type TestRepo } from "../helpers/cli.js";
import { cleanupProjects, makeProject } from "../helpers/runtime.js";

afterEach(cleanupProjects);

const has = (shell: string) => {
  try {
    execFileSync("sh", ["-c", `command -v ${shell}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
};

async function project(): Promise<TestRepo> {
  const p = await makeProject();
  await p.part("extract-events", {});
  await p.part("classify-store", {});
  await p.ok(["spec", "new", "Data extraction"]);
  await p.ok(["queue"]);
  // `ballador` on PATH, as an installed package puts it.
  const bin = join(p.parent, "bin");
  await mkdir(bin);
  await symlink(BIN, join(bin, "ballador"));
  p.env.PATH = `${bin}:${p.env.PATH}`;
  return p;
}

async function shell(program: string, script: string, p: TestRepo): Promise<string[]> {
  const r = await runProgram(program, ["-c", script], { cwd: p.dir, env: p.env });
  if (r.code !== 0) throw new Error(`${program} failed (${r.code}): ${r.stderr}\n${r.stdout}`);
  return r.stdout.split("\n").filter(Boolean);
}

describe("completion", () => {
  it("bash: commands, options, task ids, spec numbers, profiles and option values", async () => {
    const p = await project();
    const complete = (words: string[]) =>
      shell(
        "bash",
        `source <(ballador completion bash)
COMP_WORDS=(ballador ${words.map((w) => `'${w}'`).join(" ")})
COMP_CWORD=${words.length}
_ballador_complete
printf '%s\\n' "\${COMPREPLY[@]}"`,
        p,
      );
    expect(await complete(["sh"])).toEqual(["show"]);
    expect(await complete(["show", ""])).toEqual(["classify-store", "extract-events"]);
    expect(await complete(["review", "ex"])).toEqual(["extract-events"]);
    expect(await complete(["launch", "--max", "2", "c"])).toEqual(["classify-store"]);
    expect(await complete(["status", "--"])).toEqual(expect.arrayContaining(["--json", "--watch", "--help"]));
    expect(await complete(["spec", ""])).toEqual(["check", "draft", "list", "new"]);
    expect(await complete(["part", "new", "x", "--spec", ""])).toEqual(["0001-data-extraction", "1"]);
    expect(await complete(["part", "new", "x", "--agent", ""])).toEqual(["any", "scripted"]);
    expect(await complete(["graph", "--format", ""])).toEqual(["dot", "mermaid", "tree"]);
    expect(await complete(["completion", ""])).toEqual(["bash", "fish", "zsh"]);
    // The hidden helper is not offered.
    expect(await complete(["__"])).toEqual([]);
    // -C points completion at another repository.
    expect(await complete(["-C", p.dir, "show", "cl"])).toEqual(["classify-store"]);
  }, 120_000);

  it.skipIf(!has("zsh"))("zsh: the function passes the words and offers the candidates", async () => {
    const p = await project();
    // compadd and compdef are zsh's completion system; here they print what they were given.
    const out = await shell(
      "zsh",
      `compdef() { :; }
compadd() { print -l -- "\${@:3}"; }
_files() { print FILES; }
source <(ballador completion zsh)
words=(ballador show ex); CURRENT=3
_ballador`,
      p,
    );
    expect(out).toEqual(["extract-events"]);
  });

  it.skipIf(!has("fish"))("fish: complete -C lists task ids", async () => {
    const p = await project();
    const out = await shell("fish", `ballador completion fish | source; complete -C'ballador show '`, p);
    expect(out.map((l) => l.split("\t")[0])).toEqual(["classify-store", "extract-events"]);
  });
});
