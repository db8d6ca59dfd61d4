/**
 * Delivery of tasks run in jj workspaces (vcs: jj), end to end through bin/ballador.js with a real
 * jj and bubblewrap: `merge --squash` of an agent's iterative jj commits (one new commit on the
 * base, verified, the base bookmark moved only by the merge), conflict prediction between two jj
 * changes editing the same lines, and `pr` pushing the task's commit and opening the pull request
 * against a gh stand-in.
 */
import { readFile } from "node:fs/promises";
import { afterEach, describe, expect, it } from "vitest";
import { type CliResult, git } from "../helpers/cli.js";
import { jjAvailable } from "../helpers/jj.js";
import { cleanupProjects } from "../helpers/runtime.js";
import { addBareRemote, ghStandIn, type VerifyProject, writePart } from "../helpers/verification.js";
import { agentJj, jjDone, jjOut, makeJjProject } from "./jj-project.js";

afterEach(cleanupProjects);

const version = jjAvailable();

/**
 * The commands that do a run's or a merge's work (launch: a jj workspace per task; merge: a
 * verified candidate, the base moved, jj's import) get two minutes rather than the helpers'
 * thirty seconds: with five of the conflict tests at once (ten jj tasks) on the two-core machine,
 * launch took up to 6 s and merge 2.4 s, the whole test 3.3 s alone; a run of every jj test in
 * parallel at a load of ten failed it once. What they do is asserted as before.
 */
const SLOW = { timeoutMs: 120_000 };

async function slowOk(p: VerifyProject, args: string[]): Promise<CliResult> {
  const r = await p.run(args, SLOW);
  if (r.code !== 0)
    throw new Error(
      `ballador ${args.join(" ")} exited ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`,
    );
  return r;
}

interface MergeJson {
  commit: string;
  fastForward: boolean;
  verified: boolean;
  squashed: number | null;
}

interface NextJson {
  conflicts: Array<{ kind: string; tasks: string[]; files: string[]; message: string }>;
}

describe.skipIf(!version)(`delivering jj changes (jj ${version ?? "not installed"})`, () => {
  it("merge --squash: three iterative jj commits become one verified commit on main; the bookmarks agree with git", async () => {
    const p = await makeJjProject({ merge_strategy: "ff" });
    await writePart(p, "iterate", {
      steps: [
        { write: { path: "feature.txt", content: "try 1\n" } },
        { run: agentJj("commit -m 'wip: first try'") },
        { write: { path: "feature.txt", content: "try 2\n" } },
        { run: agentJj("commit -m 'wip: second try'") },
        ...jjDone("notes.txt", "done\n", "wip: notes"),
      ],
    });
    await p.ok(["queue"]);
    await slowOk(p, ["launch"]);
    await p.reaches("iterate", "review");
    await jjOut(p, ["commit", "-m", "the parts"]);
    const bookmark = async (name: string) =>
      (await jjOut(p, ["log", "--no-graph", "-r", name, "-T", "commit_id"])).trim();
    const mainBefore = await bookmark("main");
    const head = await p.rev("ballador/iterate");
    expect(await p.ownCommits("iterate")).toEqual(["wip: notes", "wip: second try", "wip: first try"]);

    const m = JSON.parse((await slowOk(p, ["merge", "iterate", "--squash", "--json"])).stdout) as MergeJson;
    expect(m).toMatchObject({ squashed: 3, fastForward: false, verified: true });
    // main is one new commit on top of where it was, holding the whole change and none of the wips.
    expect(await bookmark("main")).toBe(m.commit);
    expect(await p.rev("main")).toBe(m.commit);
    expect(await bookmark("main-")).toBe(mainBefore);
    expect(
      await jjOut(p, [
        "log",
        "--no-graph",
        "-r",
        `${mainBefore}..main`,
        "-T",
        'description.first_line() ++ "\\n"',
      ]),
    ).toBe("Part iterate (iterate, 3 commits of ballador/iterate squashed)\n");
    expect(await jjOut(p, ["file", "show", "-r", "main", "feature.txt"])).toBe("try 2\n");
    expect(await jjOut(p, ["file", "show", "-r", "main", "notes.txt"])).toBe("done\n");
    // The task's change is untouched (what was verified at review), and no bookmark is conflicted.
    expect(await bookmark("ballador/iterate")).toBe(head);
    expect(await jjOut(p, ["bookmark", "list"])).not.toContain("conflict");
    expect((await p.task("iterate")).state).toBe("merged");

    // Not an ancestor of main, yet merged: cleanup forgets the workspace and deletes the bookmark.
    await slowOk(p, ["cleanup", "iterate"]);
    expect(await jjOut(p, ["bookmark", "list", "-T", 'name ++ "\\n"'])).not.toContain("ballador/");
    expect(await jjOut(p, ["workspace", "list", "-T", 'name ++ "\\n"'])).not.toContain("bl-iterate");
    expect(await bookmark("main")).toBe(m.commit);
  }, 600_000);

  it("two jj changes editing the same line: next predicts the conflict; after one merges the other is refused naming the file", async () => {
    const p = await makeJjProject();
    const edit = (id: string) => [
      { edit: { path: "lib.txt", find: "greet", replace: `greet (${id})` } },
      { run: agentJj(`commit -m '${id} renames greet'`) },
      { done: { summary: id } },
    ];
    await writePart(p, "left", { steps: edit("left") });
    await writePart(p, "right", { steps: edit("right") });
    await p.ok(["queue"]);
    await slowOk(p, ["launch"]);
    await p.reaches("left", "review");
    await p.reaches("right", "review");

    const before = JSON.parse((await p.ok(["next", "--json"])).stdout) as NextJson;
    const textual = before.conflicts.filter((c) => c.kind === "textual");
    expect(textual).toHaveLength(1);
    expect(textual[0]?.tasks.sort()).toEqual(["left", "right"]);
    expect(textual[0]?.files).toEqual(["lib.txt"]);

    await jjOut(p, ["commit", "-m", "the parts"]);
    await slowOk(p, ["merge", "left"]);
    const after = JSON.parse((await p.ok(["next", "--json"])).stdout) as NextJson;
    expect(after.conflicts).toContainEqual(
      expect.objectContaining({ kind: "textual", tasks: ["right"], files: ["lib.txt"] }),
    );
    const main = await p.rev("main");
    const r = await p.run(["merge", "right"], SLOW);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("ballador/right does not merge cleanly into main: conflicts in lib.txt");
    expect(await p.rev("main")).toBe(main);
    expect((await jjOut(p, ["log", "--no-graph", "-r", "main", "-T", "commit_id"])).trim()).toBe(main);
    expect((await p.task("right")).state).toBe("review");
  }, 600_000);

  it("pr pushes the task's jj change to the remote and opens the pull request against gh", async () => {
    const p = await makeJjProject();
    await writePart(p, "ship", { title: "Ship it", steps: jjDone("ship.txt", "ship\n", "ship it") });
    await p.ok(["queue"]);
    await slowOk(p, ["launch"]);
    await p.reaches("ship", "review");
    const bare = await addBareRemote(p);
    await git(["push", "-q", bare, "main"], p.dir, p.env);
    const gh = await ghStandIn(p);

    const r = await p.run(["pr", "ship", "--json"], { env: gh.env, ...SLOW });
    expect(r.code, r.stderr).toBe(0);
    const pr = JSON.parse(r.stdout) as { url: string; branch: string; remote: string; warnings: string[] };
    expect(pr).toMatchObject({ url: gh.url, branch: "ballador/ship", remote: "origin", warnings: [] });
    const remote = await git(["ls-remote", bare, "refs/heads/ballador/ship"], p.parent, p.env);
    expect(remote.split("\t")[0]).toBe(await p.rev("ballador/ship"));
    expect(await git(["show", `${await p.rev("ballador/ship")}:ship.txt`], bare, p.env)).toBe("ship\n");
    const argv = (await gh.calls())[0] ?? [];
    const flag = (name: string) => argv[argv.indexOf(name) + 1];
    expect(flag("--base")).toBe("main");
    expect(flag("--head")).toBe("ballador/ship");
    expect(await gh.body()).toBe(await readFile(flag("--body-file") ?? "", "utf8"));
    // The person's jj sees the pushed bookmark's remote copy, in step with the local one.
    await jjOut(p, ["git", "import"]);
    expect(await jjOut(p, ["bookmark", "list", "--all-remotes", "ballador/ship"])).toContain("@origin");
  }, 600_000);
});
