/**
 * The judge's environment is Ballador's (issue 28): a clean verification runs with a fresh HOME
 * and TMPDIR that no agent wrote, so what an agent plants in its own HOME (a Python user site,
 * an ~/.npmrc, a ~/.gitconfig) changes no verdict, and a wrong answer never reaches `main`.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { cleanupProjects } from "../helpers/runtime.js";
import { makeVerifyProject, type VerifyProject, writePart } from "../helpers/verification.js";

afterEach(cleanupProjects);

/** The same python3 for the project's tests and for the agent that bends them. */
const PYTHON = execFileSync("sh", ["-c", "command -v /usr/bin/python3 || command -v python3"], {
  encoding: "utf8",
}).trim();

/** Three checks, each of one answer file, each run by a tool that reads its user's HOME. */
const VERIFY_SH = `#!/bin/sh
${PYTHON} check.py || { echo "VERIFY-FAIL: python check"; exit 1; }
npm test --silent || { echo "VERIFY-FAIL: npm test"; exit 1; }
if git grep -I -q -e 'WRO''NG' -- '*.txt'; then echo "VERIFY-FAIL: a wrong answer is committed"; exit 1; fi
echo "verify: all good"
`;

const FILES = {
  "verify.sh": VERIFY_SH,
  "check.py": "import sys\nsys.exit(0 if open('py.txt').read().strip() == 'good' else 1)\n",
  "py.txt": "good\n",
  "package.json": `${JSON.stringify({ name: "judged", version: "1.0.0", private: true, scripts: { test: "node check.js" } })}\n`,
  "check.js":
    "const fs = require('node:fs');\nprocess.exit(fs.readFileSync('js.txt', 'utf8').trim() === 'good' ? 0 : 1);\n",
  "js.txt": "good\n",
  "notes.txt": "all fine\n",
};

/** What each agent plants in its HOME, and the wrong answer only that plant would let pass. */
const ATTACKS: Record<string, { plant: string; answer: { path: string; content: string }; caught: string }> =
  {
    "python-user-site": {
      plant: `d=$(${PYTHON} -c 'import site; print(site.getusersitepackages())') && mkdir -p "$d" && printf 'import os\\nos._exit(0)\\n' > "$d/usercustomize.py"`,
      answer: { path: "py.txt", content: "bad\n" },
      caught: "VERIFY-FAIL: python check",
    },
    npmrc: {
      plant: `printf 'process.exit(0);\\n' > "$HOME/planted.js" && printf 'node-options=--require %s/planted.js\\n' "$HOME" > "$HOME/.npmrc"`,
      answer: { path: "js.txt", content: "bad\n" },
      caught: "VERIFY-FAIL: npm test",
    },
    gitconfig: {
      plant: `printf '* -diff\\n' > "$HOME/.gitattributes" && git config --global core.attributesFile "$HOME/.gitattributes"`,
      answer: { path: "notes.txt", content: "WRONG\n" },
      caught: "VERIFY-FAIL: a wrong answer is committed",
    },
  };

async function plantAll(p: VerifyProject, ids: string[]): Promise<void> {
  for (const id of ids) {
    const attack = ATTACKS[id];
    if (!attack) throw new Error(`no attack ${id}`);
    await writePart(p, id, {
      steps: [
        { run: attack.plant },
        { write: attack.answer },
        { commit: `answer of ${id}` },
        { done: { summary: `${id}: done` } },
      ],
    });
  }
  await p.commitAll("parts");
}

/** main's own verify.sh, in a HOME nobody wrote. */
function mainVerifies(p: VerifyProject): { status: number | null; output: string } {
  const home = mkdtempSync(join(tmpdir(), "ballador-clean-home-"));
  const r = spawnSync("sh", ["-c", "./verify.sh"], {
    cwd: p.dir,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home, TMPDIR: home },
    encoding: "utf8",
  });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

/**
 * Each poisoned task failed its clean verification on the check its plant bends, is refused by
 * merge, and main is unchanged.
 */
async function expectNothingBent(p: VerifyProject, ids: string[]): Promise<void> {
  const before = await p.rev("main");
  const states: Record<string, string> = {};
  for (const id of ids) states[id] = (await p.waitState(id, ["review", "failed", "blocked"], 120_000)).state;
  expect(states).toEqual(Object.fromEntries(ids.map((id) => [id, "failed"])));
  for (const id of ids) {
    const log = await readFile(join(await p.runDir(id), "verify.log"), "utf8");
    expect(log).toContain(ATTACKS[id]?.caught);
    const merged = await p.run(["merge", id]);
    expect(merged.code).not.toBe(0);
  }
  expect(await p.rev("main")).toBe(before);
  const main = mainVerifies(p);
  expect(main.output).toContain("verify: all good");
  expect(main.status).toBe(0);
}

describe("the judge's environment", () => {
  it("a sandboxed agent's poisoned HOME (Python user site, .npmrc, .gitconfig) changes no verdict and nothing reaches main", async () => {
    const p = await makeVerifyProject({ sandbox: "bwrap", config: { max_parallel: 4 }, files: FILES });
    const ids = Object.keys(ATTACKS);
    await plantAll(p, ids);
    // The control: honest work passes the same checks in the same judge's environment.
    await writePart(p, "honest", {
      steps: [{ write: { path: "extra.txt", content: "fine\n" } }, { commit: "extra" }, { done: "honest" }],
    });
    await p.commitAll("honest part");
    await p.ok(["queue"]);
    await p.ok(["launch"]);
    expect((await p.waitState("honest", ["review", "failed", "blocked"], 120_000)).state).toBe("review");
    await expectNothingBent(p, ids);
    await p.ok(["merge", "honest"]);
    expect(mainVerifies(p).status).toBe(0);
  }, 300_000);

  it("unsandboxed (sandbox: none), the verification still gets a fresh HOME: a planted .gitconfig bends nothing", async () => {
    const p = await makeVerifyProject({ sandbox: "none", files: FILES });
    await plantAll(p, ["gitconfig"]);
    await p.ok(["queue"]);
    await p.ok(["launch"]);
    await expectNothingBent(p, ["gitconfig"]);
  }, 120_000);
});
