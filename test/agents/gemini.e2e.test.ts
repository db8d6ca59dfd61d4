/**
 * The real Gemini CLI launched by Ballador through the `gemini` and `gemini-headless` presets,
 * in tmux, inside the sandbox, against a local fake Gemini API. The CLI is not a dependency of
 * the project: these tests run when `gemini` is on PATH (or GEMINI_BIN names it), e.g. after
 * `npm install --prefix /tmp/agents @google/gemini-cli`, and are skipped otherwise.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { delimiter, dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { PACKAGE_ROOT, runProgram } from "../helpers/cli.js";
import {
  type FakeGemini,
  geminiFunctionResponses,
  geminiPrompt,
  startFakeGemini,
} from "../helpers/fake-gemini.js";
import { cleanupSandboxTests, makeSandboxProject, type SandboxProject } from "../helpers/sandbox.js";

const ARTIFACTS = join(PACKAGE_ROOT, "test-artifacts");

function findGemini(): string | null {
  if (process.env.GEMINI_BIN && existsSync(process.env.GEMINI_BIN)) return process.env.GEMINI_BIN;
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir && existsSync(join(dir, "gemini"))) return join(dir, "gemini");
  }
  return null;
}

function bwrapWorks(): boolean {
  try {
    execFileSync("bwrap", ["--ro-bind", "/", "/", "--unshare-net", "true"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

const GEMINI = findGemini();
const apis: FakeGemini[] = [];
afterEach(async () => {
  await Promise.all(apis.splice(0).map((a) => a.close()));
  await cleanupSandboxTests();
});

async function diagnose(p: SandboxProject, id: string): Promise<string> {
  const pane = await runProgram("tmux", ["-L", p.socket, "capture-pane", "-p", "-t", `bl-${id}`], {
    cwd: p.parent,
    env: p.env,
  });
  return `pane:\n${pane.stdout}${pane.stderr}`;
}

async function runToReview(mode: "gemini" | "gemini-headless") {
  const id = mode === "gemini" ? "hello-gemini-tui" : "hello-gemini-headless";
  const marker = `PART-BODY-${mode}-${Date.now().toString(36)}`;
  const api = await startFakeGemini({
    steps: [
      `printf 'hello from gemini\\n' > hello.txt && git add hello.txt && git commit -q -m "add hello.txt" && echo STEP1-COMMITTED`,
      `ballador done --summary "wrote hello.txt"`,
    ],
    finalText: "Done.",
  });
  apis.push(api);
  const env = ["GEMINI_API_KEY", "GOOGLE_GEMINI_BASE_URL"];
  const p = await makeSandboxProject({
    allowHosts: ["127.0.0.1"],
    config: {
      agents: {
        default: mode,
        profiles: {
          gemini: { preset: "gemini", env },
          "gemini-headless": { preset: "gemini-headless", env },
        },
      },
    },
  });
  p.env.PATH = `${dirname(GEMINI as string)}${delimiter}${p.env.PATH ?? ""}`;
  p.env.GEMINI_API_KEY = "test-gemini-key";
  p.env.GOOGLE_GEMINI_BASE_URL = api.url;
  await p.part(id, { body: `Write hello.txt and commit it. ${marker}`, verify: "test -f hello.txt" });
  await p.ok(["queue"]);
  const started = Date.now();
  try {
    const launched = await p.run(["launch", "--json"]);
    expect(launched.code, launched.stdout + launched.stderr).toBe(0);
    try {
      await p.waitState(id, ["review", "failed", "blocked"], 100_000);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${await diagnose(p, id)}`);
    }
    const task = await p.task(id);
    if (task.state !== "review")
      throw new Error(`${id} ended ${task.state}: ${task.reason}\n${await diagnose(p, id)}`);
    expect((await p.git(["log", "--format=%s|%an", `ballador/${id}`, "-n", "1"])).trim()).toBe(
      "add hello.txt|Ballador Test",
    );
    const prompt = geminiPrompt(api.requests);
    expect(prompt).toContain(marker);
    expect(prompt).toContain("test -f hello.txt");
    expect(geminiFunctionResponses(api.requests).join("\n")).toContain("STEP1-COMMITTED");
    // The agent needed no host but the fake API (its usage statistics are off in the run).
    const denials = join(await p.runDir(id), "denials.jsonl");
    expect(existsSync(denials) ? await readFile(denials, "utf8") : "").toBe("");
    return { seconds: (Date.now() - started) / 1000 };
  } finally {
    await mkdir(ARTIFACTS, { recursive: true });
    await writeFile(join(ARTIFACTS, `${mode}.requests.json`), `${JSON.stringify(api.requests, null, 2)}\n`);
  }
}

describe.skipIf(!GEMINI || !bwrapWorks())(
  "Gemini CLI, real binary, sandboxed, against a fake Gemini API",
  () => {
    it("headless (gemini --prompt): commits, reports done, and the task reaches review", async () => {
      const r = await runToReview("gemini-headless");
      console.log(`gemini-headless: review after ${r.seconds.toFixed(1)} s`);
    }, 120_000);

    it("interactive in tmux (gemini --prompt-interactive): starts unattended and reaches review", async () => {
      const r = await runToReview("gemini");
      console.log(`gemini (interactive): review after ${r.seconds.toFixed(1)} s`);
    }, 120_000);
  },
);
