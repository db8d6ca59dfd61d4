/**
 * A launch that cannot complete fails truthfully and takes back what it made; what it does
 * besides the agent (copy of untracked files, hooks) is checked here too.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseJson } from "../helpers/cli.js";
import { cleanupProjects, commitAndDone, launchedToReview, makeProject } from "../helpers/runtime.js";

afterEach(cleanupProjects);

interface LaunchJson {
  started: Array<{ id: string }>;
  failed: Array<{ id: string; reason: string; log: string | null }>;
}

describe("launch: failures are rolled back", () => {
  it("a failing bootstrap fails the task (launch:), keeps its output, and removes worktree, branch and session", async () => {
    const p = await makeProject({ config: { bootstrap: ["echo bootstrap-says-no; exit 7"] } });
    await p.part("boot", { steps: commitAndDone("boot.txt") });
    await p.ok(["queue"]);
    const r = await p.run(["launch", "--json"]);
    expect(r.code).not.toBe(0);
    const launched = parseJson<LaunchJson>(r);
    expect(launched.failed.map((f) => f.id)).toEqual(["boot"]);

    const t = await p.task("boot");
    expect(t.state).toBe("failed");
    expect(t.reason).toMatch(/^launch: /);
    expect(t.reason).toContain("bootstrap");
    const runs = (await p.show("boot")).runs;
    expect(runs).toHaveLength(1);
    expect(runs[0]?.status).toBe("ended");
    const log = await readFile(join(runs[0]!.runDir, "launch.log"), "utf8");
    expect(log).toContain("bootstrap-says-no");
    expect(existsSync(p.worktree("boot"))).toBe(false);
    expect(await p.branches()).toEqual(["main"]);
    expect(await p.worktrees()).toEqual([p.dir]);
    expect(await p.sessions()).toEqual([]);
    expect((await p.status()).disagreements).toEqual([]);
  });

  it("a missing agent binary fails the launch naming the binary, and creates nothing", async () => {
    const p = await makeProject({
      config: { agents: { default: "ghost", profiles: { ghost: { command: ["no-such-agent-xyz"] } } } },
    });
    await p.part("ghosted", { steps: commitAndDone("x.txt") });
    await p.ok(["queue"]);
    const r = await p.run(["launch"]);
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toContain("no-such-agent-xyz");

    const t = await p.task("ghosted");
    expect(t.state).toBe("failed");
    expect(t.reason).toMatch(/^launch: /);
    expect(t.reason).toContain('"no-such-agent-xyz"');
    expect((await p.show("ghosted")).runs).toEqual([]);
    expect(existsSync(p.worktreeRoot)).toBe(false);
    expect(await p.branches()).toEqual(["main"]);
    expect(await p.sessions()).toEqual([]);
  });

  it("copies listed untracked files such as .env from the main checkout into the worktree", async () => {
    const p = await makeProject({ config: { copy: [".env"] }, files: { ".gitignore": ".env\n" } });
    await p.write(".env", "SECRET=42\n");
    await p.part("uses-env", { steps: [{ run: "grep -q SECRET=42 .env" }, ...commitAndDone("env-ok.txt")] });
    await launchedToReview(p, "uses-env");
    expect(await readFile(join(p.worktree("uses-env"), ".env"), "utf8")).toBe("SECRET=42\n");
  });
});

describe("hooks", () => {
  it("before_launch, after_run and on_review run with the run's identity in their environment", async () => {
    const p = await makeProject();
    const trace = join(p.gates, "hooks.log");
    const line = (name: string) =>
      `echo "${name} $BALLADOR_TASK_ID $BALLADOR_BRANCH $BALLADOR_ATTEMPT $BALLADOR_WORKTREE" >> '${trace}'`;
    await p.write(
      ".ballador/config.yaml",
      (await import("yaml")).stringify({
        tmux_socket: p.socket,
        hooks: {
          before_launch: line("before_launch"),
          after_run: line("after_run"),
          on_review: line("on_review"),
        },
        agents: { default: "scripted", profiles: { scripted: { preset: "scripted" } } },
        sandbox: { mode: "none" },
      }),
    );
    await p.part("hooked", { steps: commitAndDone("hooked.txt") });
    await launchedToReview(p, "hooked");
    const ident = `hooked ballador/hooked 1 ${p.worktree("hooked")}`;
    const text = await waitForText(trace, "on_review");
    expect(text.trim().split("\n")).toEqual([
      `before_launch ${ident}`,
      `after_run ${ident}`,
      `on_review ${ident}`,
    ]);
  });

  it("a failing before_launch hook fails the launch and rolls it back", async () => {
    const p = await makeProject({ config: { hooks: { before_launch: "echo hook-refuses >&2; exit 9" } } });
    await p.part("unhooked", { steps: commitAndDone("x.txt") });
    await p.ok(["queue"]);
    const r = await p.run(["launch"]);
    expect(r.code).not.toBe(0);
    const t = await p.task("unhooked");
    expect(t.state).toBe("failed");
    expect(t.reason).toMatch(/^launch: .*before_launch/);
    const run = (await p.show("unhooked")).runs[0]!;
    expect(await readFile(join(run.runDir, "launch.log"), "utf8")).toContain("hook-refuses");
    expect(existsSync(p.worktree("unhooked"))).toBe(false);
    expect(await p.branches()).toEqual(["main"]);
    expect(await p.sessions()).toEqual([]);
  });
});

async function waitForText(file: string, text: string): Promise<string> {
  const end = Date.now() + 10_000;
  for (;;) {
    const content = existsSync(file) ? await readFile(file, "utf8") : "";
    if (content.includes(text)) return content;
    if (Date.now() > end) throw new Error(`${file} never contained ${text}; it has:\n${content}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
