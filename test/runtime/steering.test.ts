/**
 * Steering from outside (issue 15): the person sends a task's work back with words of their own
 * (`request-changes TASK`, `--file`, `--no-launch`, `retry --message`); the next attempt's prompt
 * carries them, automatic retries too, until the work is back in review.
 */
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { afterEach, describe, expect, it } from "vitest";
import { PACKAGE_ROOT, parseJson } from "../helpers/cli.js";
import { cleanupProjects, gate, makeProject, type Project, type Step } from "../helpers/runtime.js";

afterEach(cleanupProjects);

/** Each attempt appends its run id to work.txt, commits and reports done. */
const work: Step[] = [
  { run: 'echo "$BALLADOR_RUN_ID" >> work.txt' },
  { commit: "work" },
  { done: { summary: "did the work" } },
];

async function prompts(p: Project, id: string): Promise<string[]> {
  const runs = (await p.show(id)).runs.filter((r) => !r.id.includes("review"));
  return Promise.all(runs.map((r) => readFile(join(r.runDir, "prompt.md"), "utf8")));
}

const HEADING = "## The person's requested changes";

describe("request-changes from outside a run", () => {
  it("sends reviewed work back: attempt 2's prompt carries the person's words, show has them, the next round does not", async () => {
    const p = await makeProject();
    await p.part("a", { steps: work });
    await p.ok(["queue"]);
    await p.ok(["launch", "a"]);
    await p.reaches("a", "review");

    const words = 'Keep empty lines; add a test for "a\\n\\nb". Rename --loose to --strict.';
    const sent = parseJson<{
      id: string;
      message: string;
      launched: { started: Array<{ attempt: number }> };
    }>(await p.ok(["request-changes", "a", words, "--json"]));
    const schema = JSON.parse(
      readFileSync(join(PACKAGE_ROOT, "schemas", "cli", "request-changes.schema.json"), "utf8"),
    );
    expect(new Ajv2020({ strict: true }).validate(schema, sent)).toBe(true);
    expect(sent.message).toBe(words);
    expect(sent.launched.started.map((s) => s.attempt)).toEqual([2]);
    await p.reaches("a", "review");

    const [first, second] = await prompts(p, "a");
    expect(first).not.toContain(HEADING);
    expect(second).toContain(HEADING);
    expect(second).toContain(words);
    // The work passed before: the person's words are not dressed up as a failure.
    expect(second).not.toContain("did not pass");

    const shown = await p.show("a");
    expect(shown.notes.filter((n) => n.kind === "request").map((n) => n.text)).toEqual([words]);
    expect(shown.notes.find((n) => n.kind === "request")?.runId).toBe(shown.runs[0]?.id);
    expect(shown.events.map((e) => e.cause)).toContain("changes requested by a person");
    const text = (await p.ok(["show", "a"])).stdout;
    expect(text).toContain(`[request] ${words}`);

    // The work came back to review: the request is settled; a plain retry does not repeat it.
    await p.ok(["retry", "a"]);
    await p.reaches("a", "review");
    const third = (await prompts(p, "a"))[2];
    expect(third).toBeDefined();
    expect(third).not.toContain(HEADING);
    expect(third).not.toContain("Rename --loose");
  }, 120_000);

  it("--file and --no-launch: the request waits for the next launch; automatic retries carry it too", async () => {
    // Attempt 2 exits without reporting; the supervisor's own retry (attempt 3) must still know.
    const p = await makeProject({ config: { max_attempts: 3 } });
    const counter = join(p.parent, "count");
    await p.part("b", {
      steps: [
        {
          run: `n=$(cat '${counter}' 2>/dev/null || echo 0); n=$((n+1)); echo $n > '${counter}'; [ $n -ne 2 ]`,
        },
        ...work,
      ],
    });
    await p.ok(["queue"]);
    await p.ok(["launch", "b"]);
    await p.reaches("b", "review");

    await p.write("../review.md", "Line one of the review.\n\nThe `parse` function must reject tabs.\n");
    const r = await p.ok(["request-changes", "b", "--file", "../review.md", "--no-launch"]);
    expect(r.stdout).toContain("ready again");
    expect((await p.task("b")).state).toBe("ready");
    expect((await p.show("b")).runs).toHaveLength(1);

    await p.ok(["launch"]);
    await p.reaches("b", "review");
    const all = await prompts(p, "b");
    expect(all).toHaveLength(3);
    for (const later of all.slice(1)) {
      expect(later).toContain(HEADING);
      expect(later).toContain("The `parse` function must reject tabs.");
    }
    // Attempt 3 also hears why attempt 2 did not pass.
    expect(all[2]).toContain("did not pass");
  }, 120_000);

  it("retry --message: a failed task's next attempt has the failure and the person's words", async () => {
    const p = await makeProject();
    await p.part("c", { steps: [{ exit: 3 }] });
    await p.ok(["queue"]);
    await p.ok(["launch", "c"]);
    await p.reaches("c", "failed");
    await p.ok(["retry", "c", "--message", "The fixture moved to test/data: use it."]);
    await p.reaches("c", "failed");
    const second = (await prompts(p, "c"))[1] as string;
    expect(second).toContain(HEADING);
    expect(second).toContain("The fixture moved to test/data: use it.");
    expect(second).toContain("did not pass");
  }, 120_000);

  it("refuses without words, for a missing file, and in the wrong state, recording nothing", async () => {
    const p = await makeProject();
    await p.part("d", { steps: [gate(p, "d"), ...work] });
    await p.ok(["queue"]);
    const noWords = await p.run(["request-changes", "d", "--json"]);
    expect(noWords.code).toBe(2);
    expect(noWords.stdout).toContain("missing_message");
    const noFile = await p.run(["request-changes", "d", "--file", "nope.md"]);
    expect([noFile.code, noFile.stderr]).toEqual([3, expect.stringContaining("nope.md")]);
    const empty = await p.run(["retry", "d", "--message", "  "]);
    expect(empty.code).toBe(2);
    const ready = await p.run(["request-changes", "d", "do it differently"]);
    expect(ready.code).toBe(4);
    expect(ready.stderr).toContain("request-changes sends back a task in review");
    await p.ok(["launch", "d"]);
    await p.waitState("d", "running");
    expect((await p.run(["request-changes", "d", "stop that"])).code).toBe(4);
    expect((await p.show("d")).notes.filter((n) => n.kind === "request")).toEqual([]);
    const missing = await p.run(["request-changes", "nobody", "x"]);
    expect(missing.code).toBe(3);
    await p.open("d");
    await p.reaches("d", "review");
  }, 120_000);
});
