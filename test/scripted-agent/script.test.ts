import { describe, expect, it } from "vitest";
import {
  expandAction,
  expandPlaceholders,
  extractScriptBlock,
  parseScript,
  ScriptError,
  STEP_KINDS,
} from "../../src/scripted-agent/script.js";

/** The problems a text raises, or a failed expectation when it parses. */
function problemsOf(text: string): string[] {
  try {
    parseScript(text);
  } catch (err) {
    if (err instanceof ScriptError) return err.problems;
    throw err;
  }
  throw new Error(`expected the script to be invalid:\n${text}`);
}

describe("parseScript", () => {
  it("accepts every step kind and normalizes the shorthand forms", () => {
    const script = parseScript(`
on_error: continue
steps:
  - write: { path: src/a.ts, content: "export const a = 1;\\n" }
  - append: { path: NOTES.md, content: "line\\n" }
  - edit: { path: src/a.ts, find: "= 1", replace: "= 2" }
  - edit: { path: src/a.ts, find: a, replace: b, all: true }
  - delete: src/old.ts
  - delete: { path: src/older.ts }
  - mkdir: some/dir
  - read: { path: ~/.ssh/id_rsa }
  - read: ~/.aws/credentials
  - run: "npm test"
  - run: ["node", "x.js"]
  - commit: "feat: message"
  - commit: { message: "empty", allow_empty: true }
  - note: "decision and reason"
  - done: { summary: "what I did" }
  - done: "short"
  - done: {}
  - done:
  - blocked: "why"
  - ballador: ["status", "--json"]
  - http: { url: "http://127.0.0.1:8080/x", expect_status: 200 }
  - http: https://example.com/
  - sleep: 500
  - print: "text shown in the terminal"
  - run: "false"
    allow_fail: true
  - write: { path: /etc/passwd, content: x }
    expect_fail: true
  - exit: 0
`);
    expect(script.onError).toBe("continue");
    expect(script.steps.map((s) => s.index)).toEqual(script.steps.map((_, i) => i + 1));
    expect(script.steps.map((s) => s.action)).toEqual([
      { kind: "write", path: "src/a.ts", content: "export const a = 1;\n" },
      { kind: "append", path: "NOTES.md", content: "line\n" },
      { kind: "edit", path: "src/a.ts", find: "= 1", replace: "= 2", all: false },
      { kind: "edit", path: "src/a.ts", find: "a", replace: "b", all: true },
      { kind: "delete", path: "src/old.ts" },
      { kind: "delete", path: "src/older.ts" },
      { kind: "mkdir", path: "some/dir" },
      { kind: "read", path: "~/.ssh/id_rsa" },
      { kind: "read", path: "~/.aws/credentials" },
      { kind: "run", command: "npm test" },
      { kind: "run", command: ["node", "x.js"] },
      { kind: "commit", message: "feat: message", allowEmpty: false },
      { kind: "commit", message: "empty", allowEmpty: true },
      { kind: "note", text: "decision and reason" },
      { kind: "done", summary: "what I did" },
      { kind: "done", summary: "short" },
      { kind: "done", summary: undefined },
      { kind: "done", summary: undefined },
      { kind: "blocked", reason: "why" },
      { kind: "ballador", args: ["status", "--json"] },
      {
        kind: "http",
        url: "http://127.0.0.1:8080/x",
        method: "GET",
        expectStatus: 200,
        timeoutMs: 10_000,
      },
      {
        kind: "http",
        url: "https://example.com/",
        method: "GET",
        expectStatus: undefined,
        timeoutMs: 10_000,
      },
      { kind: "sleep", ms: 500 },
      { kind: "print", text: "text shown in the terminal" },
      { kind: "run", command: "false" },
      { kind: "write", path: "/etc/passwd", content: "x" },
      { kind: "exit", code: 0 },
    ]);
    const flagged = script.steps.filter((s) => s.allowFail || s.expectFail);
    expect(flagged.map((s) => [s.index, s.allowFail, s.expectFail])).toEqual([
      [25, true, false],
      [26, false, true],
    ]);
    // Every kind the format knows is exercised above.
    expect(new Set(script.steps.map((s) => s.action.kind))).toEqual(new Set(STEP_KINDS));
  });

  it("defaults on_error to stop and accepts a bare list of steps", () => {
    const script = parseScript("- print: hi\n- exit: 4\n");
    expect(script.onError).toBe("stop");
    expect(script.steps.map((s) => s.action)).toEqual([
      { kind: "print", text: "hi" },
      { kind: "exit", code: 4 },
    ]);
  });

  it.each([
    ["steps:\n  - edit: { path: a.ts, replace: x }", "step 1 (edit): edit.find: is required"],
    [
      "steps:\n  - print: ok\n  - write: { path: a, content: 5 }",
      "step 2 (write): write.content: must be a string, got a number",
    ],
    ["steps:\n  - write: a.txt", "step 1 (write): write: must be { path, content }, got a string"],
    ["steps:\n  - write: { path: a, content: b, mode: 1 }", 'step 1 (write): write: unknown key "mode"'],
    ["steps:\n  - delete: 5", "step 1 (delete): delete: must be a path or { path }, got a number"],
    ["steps:\n  - mkdir: ''", "step 1 (mkdir): mkdir.path: must not be empty"],
    ["steps:\n  - run: 5", "step 1 (run): run: must be a shell command string or an argv list, got a number"],
    ["steps:\n  - run: ['node', 5]", "step 1 (run): run[1]: must be a string, got a number"],
    ["steps:\n  - run: []", "step 1 (run): run: must name at least the program"],
    ["steps:\n  - commit: ''", "step 1 (commit): commit.message: must not be empty"],
    ["steps:\n  - note: ''", "step 1 (note): note: must not be empty"],
    ["steps:\n  - done: 5", "step 1 (done): done: must be a summary, { summary } or {}, got a number"],
    ["steps:\n  - blocked:", "step 1 (blocked): blocked: must be a string, got null"],
    ["steps:\n  - ballador: status", "step 1 (ballador): ballador: must be a list of strings, got a string"],
    ["steps:\n  - http: ftp://host/x", "step 1 (http): http.url: must be an http:// or https:// URL"],
    [
      "steps:\n  - http: { url: 'http://h/', expect_status: 999 }",
      "step 1 (http): http.expect_status: must be an HTTP status (100-599)",
    ],
    ["steps:\n  - sleep: -1", "step 1 (sleep): sleep: must not be negative"],
    ["steps:\n  - sleep: 1.5", "step 1 (sleep): sleep: must be a number of milliseconds"],
    ["steps:\n  - exit: 256", "step 1 (exit): exit: must be between 0 and 255"],
    [
      "steps:\n  - write: { path: a, content: b }\n    allow_fail: true\n    expect_fail: 1",
      "step 1: expect_fail: must be true or false, got a number",
    ],
    [
      "steps:\n  - edit: { path: a, find: b, replace: c, all: 1 }",
      "step 1 (edit): edit.all: must be true or false, got a number",
    ],
    ["steps:\n  - exit: '3'", "step 1 (exit): exit: must be an exit code (0-255), got a string"],
    ["steps:\n  - print: hi\n    expect_fail: true", "step 1 (print): expect_fail: a print step cannot fail"],
    ["steps:\n  - note: x\n    allow_fail: yes", "step 1: allow_fail: must be true or false, got a string"],
    [
      "steps:\n  - writ: { path: a, content: b }",
      'step 1: unknown key "writ"; an action is one of write, append',
    ],
    ["steps:\n  - allow_fail: true", "step 1: no action; expected one of write"],
    [
      "steps:\n  - write: { path: a, content: b }\n    edit: { path: a, find: b, replace: c }",
      "step 1: has 2 actions (write, edit); a step has exactly one",
    ],
    ["steps:\n  - 5", "step 1: must be a mapping with one action"],
    ["on_error: maybe\nsteps:\n  - print: x", 'on_error: must be "stop" or "continue", got "maybe"'],
    ["steps:\n  - print: x\nname: demo", 'unknown top-level key "name"'],
    ["on_error: stop", "steps: is required (a list of steps)"],
    ["steps: []", "steps: the list is empty"],
    ["steps: 3", "steps: must be a list of steps, got a number"],
    ["just text", 'the script must be a mapping with "steps:" (or a list of steps); got a string'],
  ])("rejects %j", (text, message) => {
    const problems = problemsOf(text);
    expect(
      problems.some((p) => p.includes(message)),
      `problems were:\n${problems.join("\n")}`,
    ).toBe(true);
  });

  it("reports every problem at once, each naming its step", () => {
    const problems = problemsOf("steps:\n  - sleep: x\n  - print: fine\n  - exit: -1\n");
    expect(problems).toEqual([
      "script: step 1 (sleep): sleep: must be a number of milliseconds, got a string",
      "script: step 3 (exit): exit: must be between 0 and 255",
    ]);
  });

  it("names the origin and the line of a YAML syntax error, shifted by the line offset", () => {
    let problems: string[] = [];
    try {
      parseScript("steps:\n  - write: { path: a\n", "prompt.md", 10);
    } catch (err) {
      if (err instanceof ScriptError) problems = err.problems;
    }
    expect(problems.length).toBeGreaterThan(0);
    expect(problems[0]).toMatch(/^prompt\.md: invalid YAML at line 1\d, column \d+: /);
  });
});

describe("extractScriptBlock", () => {
  it("takes the first ballador-script block of a markdown prompt", () => {
    const markdown = [
      "# Part: extract events", // line 1
      "",
      "```ts",
      "const notTheScript = 1;",
      "```",
      "",
      "```ballador-script", // line 7
      "steps:",
      "  - print: first",
      "```",
      "",
      "```ballador-script",
      "steps:",
      "  - print: second",
      "```",
    ].join("\n");
    const block = extractScriptBlock(markdown);
    expect(block).toEqual({ text: "steps:\n  - print: first", line: 7 });
    expect(parseScript(block?.text ?? "").steps[0]?.action).toEqual({ kind: "print", text: "first" });
  });

  it("accepts tilde fences, longer fences, extra info words and indentation", () => {
    expect(extractScriptBlock("~~~ ballador-script\n- exit: 1\n~~~\n")).toEqual({
      text: "- exit: 1",
      line: 1,
    });
    expect(extractScriptBlock("````ballador-script yaml\n- print: '```'\n```\n````")).toEqual({
      text: "- print: '```'\n```",
      line: 1,
    });
    expect(extractScriptBlock("  ```ballador-script\n  steps:\n    - exit: 0\n  ```")?.text).toBe(
      "steps:\n  - exit: 0",
    );
  });

  it("ignores an example inside another code block", () => {
    const markdown =
      "````md\n```ballador-script\n- exit: 9\n```\n````\n\n```ballador-script\n- exit: 0\n```\n";
    expect(extractScriptBlock(markdown)).toEqual({ text: "- exit: 0", line: 7 });
  });

  it("returns undefined when there is no block, and throws when the block is never closed", () => {
    expect(extractScriptBlock("# Title\n\n```yaml\nsteps: []\n```\n")).toBeUndefined();
    expect(extractScriptBlock("")).toBeUndefined();
    expect(() => extractScriptBlock("text\n```ballador-script\n- exit: 0\n")).toThrow(
      "the ballador-script block opened at line 2 is never closed",
    );
  });
});

describe("placeholders", () => {
  const values = { task: "extract-events", run: "r42", worktree: "/w/t", attempt: "2" };

  it("expands the four known names and leaves other braces alone", () => {
    expect(expandPlaceholders("{task}/{run}/{worktree}/{attempt} {other} { task }", values)).toBe(
      "extract-events/r42//w/t/2 {other} { task }",
    );
  });

  it("expands every string field of an action", () => {
    expect(expandAction({ kind: "run", command: ["echo", "{task}", "{attempt}"] }, values)).toEqual({
      kind: "run",
      command: ["echo", "extract-events", "2"],
    });
    expect(
      expandAction({ kind: "edit", path: "{worktree}/a", find: "{run}", replace: "x", all: false }, values),
    ).toEqual({ kind: "edit", path: "/w/t/a", find: "r42", replace: "x", all: false });
  });
});
