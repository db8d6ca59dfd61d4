/**
 * A jj run in a repository with packed refs (made with `git clone`, so `.git/packed-refs` holds
 * the remote's refs), end to end through bin/ballador.js with a real jj and bubblewrap. jj's git
 * library locks `packed-refs` for the keep ref of every commit it writes (measured with 0.46:
 * `.git/packed-refs.lock`, read-only inside the sandbox, failed every `jj commit` and snapshot).
 * Inside a run the git store is a per-run folder (spec 0015): the agent's jj commits, the part
 * reaches review and merges, and what the agent does to packed refs stays in its copy.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { jjAvailable } from "../helpers/jj.js";
import { cleanupProjects } from "../helpers/runtime.js";
import { writePart } from "../helpers/verification.js";
import { agentJj, jjDone, jjOut, makeJjProject } from "./jj-project.js";

afterEach(cleanupProjects);

const version = jjAvailable();

describe.skipIf(!version)(`jj runs in a cloned repository (jj ${version ?? "not installed"})`, () => {
  it("a part reaches review and merges with packed refs; the agent's writes to packed-refs stay its own", async () => {
    const p = await makeJjProject({}, { cloned: true });
    const git = join(p.dir, ".git");
    const packed = readFileSync(join(git, "packed-refs"), "utf8");
    const config = readFileSync(join(git, "config"), "utf8");
    expect(packed).toContain("refs/remotes/origin/main");
    const originMain = await p.rev("refs/remotes/origin/main");
    await writePart(p, "a", {
      steps: [
        { write: { path: "a.txt", content: "draft\n" } },
        { run: agentJj("describe -m 'first try at a'") },
        ...jjDone("a.txt", "a\n", "add a").slice(0, 2),
        // Its git store is its own: a ref deleted (packed-refs rewritten) or junk written over
        // packed-refs changes its copy, never the person's.
        { run: `git --git-dir ${git} update-ref -d refs/remotes/origin/main`, allow_fail: true },
        { run: `printf 'junk\\n' >> ${git}/packed-refs`, allow_fail: true },
        { run: `git --git-dir ${git} pack-refs --all`, allow_fail: true },
        // Its git config replaced in its copy (the person's is read-only behind the link).
        { run: `printf '[core]\\n\\thooksPath = /tmp/x\\n' >> ${git}/config`, allow_fail: true },
        { run: `rm -f ${git}/config && printf '[core]\\n\\thooksPath = /tmp/x\\n' > ${git}/config` },
        { done: { summary: "wrote a.txt" } },
      ],
    });
    await p.ok(["queue"]);
    await p.ok(["launch"]);
    const task = await p.waitState("a", ["review", "failed"]);
    // On failure, what the agent's jj said.
    const log = readFileSync(join(await p.runDir("a"), "session.log"), "utf8");
    expect(task.state, log).toBe("review");

    // The person's packed refs as they were; the agent's change is the task's bookmark at home.
    expect(readFileSync(join(git, "packed-refs"), "utf8")).toBe(packed);
    expect(readFileSync(join(git, "config"), "utf8")).toBe(config);
    expect(await p.rev("refs/remotes/origin/main")).toBe(originMain);
    expect(await p.git(["show", "ballador/a:a.txt"])).toBe("a\n");
    const head = await p.rev("ballador/a");
    expect((await jjOut(p, ["log", "--no-graph", "-r", "ballador/a", "-T", "commit_id"])).trim()).toBe(head);
    expect(await p.git(["rev-parse", `refs/jj/keep/${head}`])).toContain(head);
    await p.git(["fsck", "--no-dangling"]);

    await jjOut(p, ["commit", "-m", "the part"]);
    await p.ok(["merge", "a"]);
    expect((await p.task("a")).state).toBe("merged");
    expect(await jjOut(p, ["file", "show", "-r", "main", "a.txt"])).toBe("a\n");
  }, 300_000);

  it("in a repository that is not colocated, with its store's refs packed (as `jj util gc` leaves them)", async () => {
    const p = await makeJjProject({}, { colocate: false });
    const store = join(p.dir, ".jj", "repo", "store", "git");
    await p.git(["pack-refs", "--all"]);
    const packed = readFileSync(join(store, "packed-refs"), "utf8");
    expect(packed).toContain("refs/heads/main");
    await writePart(p, "b", { steps: jjDone("b.txt", "b\n", "add b") });
    await p.ok(["queue"]);
    await p.ok(["launch"]);
    const task = await p.waitState("b", ["review", "failed"]);
    const log = readFileSync(join(await p.runDir("b"), "session.log"), "utf8");
    expect(task.state, log).toBe("review");
    expect(readFileSync(join(store, "packed-refs"), "utf8")).toBe(packed);
    expect(await p.git(["show", "ballador/b:b.txt"])).toBe("b\n");
    await p.ok(["merge", "b"]);
    expect(await jjOut(p, ["file", "show", "-r", "main", "b.txt"])).toBe("b\n");
  }, 300_000);
});
