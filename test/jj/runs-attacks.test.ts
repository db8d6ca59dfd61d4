/**
 * The agent is an adversary in a jj workspace too (vcs: jj), end to end through bin/ballador.js
 * with a real jj and bubblewrap: an agent that moves the base bookmark, creates another, plants
 * repository config, a git hook and a file outside its workspace; one that forges the operation
 * heads; and a supervisor killed -9 mid-run, reconciled, its work taken in, the retry continuing
 * in the same workspace.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { jjAvailable } from "../helpers/jj.js";
import { cleanupProjects } from "../helpers/runtime.js";
import { writePart } from "../helpers/verification.js";
import { agentJj, jjDone, jjOut, killSupervisorAtGate, makeJjProject } from "./jj-project.js";

afterEach(cleanupProjects);

const version = jjAvailable();

const headsOf = (root: string) =>
  execFileSync("ls", [join(root, ".jj", "repo", "op_heads", "heads")], { encoding: "utf8" });

describe.skipIf(!version)(`a hostile agent in a jj workspace (jj ${version ?? "not installed"})`, () => {
  it("bookmarks moved or made, repository config, hooks, writes outside and forged operation heads: refused or recorded, nothing reaches home", async () => {
    const p = await makeJjProject();
    const root = p.dir;
    const config = join(root, ".jj", "repo", "config.toml");
    const configBefore = existsSync(config) ? readFileSync(config, "utf8") : null;
    await writePart(p, "evil", {
      steps: [
        { write: { path: "app.txt", content: "good\n" } },
        { run: agentJj("bookmark set main -r @ --allow-backwards"), allow_fail: true },
        { run: agentJj("bookmark create stolen -r @-"), allow_fail: true },
        { run: `echo '[ui]' > ${config}`, allow_fail: true },
        { run: agentJj("config set --repo user.name planted"), allow_fail: true },
        { run: `printf '#!/bin/sh\\ntouch /tmp/pwned\\n' > ${root}/.git/hooks/post-merge`, allow_fail: true },
        { run: `echo planted > ${root}/planted.txt`, allow_fail: true },
        { run: `echo planted > ${root}/.git/refs/heads/main`, allow_fail: true },
        ...jjDone("evil.txt", "evil\n", "evil work"),
      ],
    });
    const fake = "f".repeat(128);
    await writePart(p, "forger", {
      steps: [
        { write: { path: "forger.txt", content: "x\n" } },
        { run: agentJj("commit -m 'forger work'") },
        // Its heads folder is the run's copy: the forged head lands there, never in the repository's.
        { run: `touch ${root}/.jj/repo/op_heads/heads/${fake} ${root}/.jj/repo/op_heads/heads/not-an-op` },
      ],
    });
    const mainBefore = (await jjOut(p, ["log", "--no-graph", "-r", "main", "-T", "commit_id"])).trim();
    const headsBefore = headsOf(root);
    await p.ok(["queue"]);
    await p.ok(["launch"]);
    const evil = await p.waitState("evil", ["review", "failed"]);
    const forger = await p.waitState("forger", ["review", "failed"]);
    expect(evil.state).toBe("failed");
    expect(forger.state).toBe("failed");

    const notes = async (id: string) => (await p.show(id)).notes.map((n) => n.text).join("\n");
    const evilNotes = await notes("evil");
    // The run's end, named when it is not the refusal (a launch that failed leaves no notes).
    expect(evilNotes, `evil: ${evil.reason}`).toContain("tried to move bookmark main");
    expect(evilNotes).toContain("tried to create bookmark stolen");
    expect(await notes("forger")).toMatch(/operation heads: .*(2 operation heads|not an operation head)/);

    // Home: main where it was, no `stolen`, the repository's heads are jj's own, config and hooks as they were.
    expect((await jjOut(p, ["log", "--no-graph", "-r", "main", "-T", "commit_id"])).trim()).toBe(mainBefore);
    expect(await p.rev("main")).toBe(mainBefore);
    expect(await jjOut(p, ["bookmark", "list", "-T", 'name ++ "\\n"'])).not.toContain("stolen");
    expect(headsOf(root)).not.toContain(fake);
    expect(headsOf(root)).not.toContain("not-an-op");
    expect(headsBefore.length).toBeGreaterThan(0);
    expect(existsSync(config) ? readFileSync(config, "utf8") : null).toBe(configBefore);
    expect(await jjOut(p, ["config", "list", "user.name"])).not.toContain("planted");
    expect(existsSync(join(root, ".git", "hooks", "post-merge"))).toBe(false);
    expect(existsSync(join(root, "planted.txt"))).toBe(false);
    // The agent's own commit was still taken: its bookmark holds its work, for a person to judge.
    expect(await p.git(["show", "ballador/evil:evil.txt"])).toBe("evil\n");
  }, 300_000);

  it("kill -9 of a supervisor mid-run: reconciled (its work taken in), the retry continues in the same workspace", async () => {
    const p = await makeJjProject();
    await killSupervisorAtGate(p, "crashy");

    await p.ok(["launch"]);
    expect((await p.task("crashy")).state).toBe("failed");
    expect((await p.show("crashy")).runs[0]?.outcome).toBe("session-lost");
    // Reconciled: the early commit taken in from the dead run's copy, as the supervisor would have.
    expect(await p.git(["log", "--format=%s", "main..ballador/crashy"])).toContain("early work");

    await p.open("crashy");
    await p.ok(["retry", "crashy"]);
    await p.reaches("crashy", "review");
    expect((await p.show("crashy")).runs.map((r) => r.outcome)).toEqual(["session-lost", "done"]);
    expect(
      (await p.git(["log", "--format=%s", "main..ballador/crashy"])).split("\n").filter(Boolean),
    ).toEqual(["add crashy", "early work"]);
    const workspaces = await jjOut(p, ["workspace", "list", "-T", 'name ++ "\\n"']);
    expect(workspaces.split("\n").filter((n) => n.startsWith("bl-"))).toEqual(["bl-crashy"]);

    // A workspace whose folder a person removed is forgotten by the next command's reconcile.
    await p.ok(["abandon", "crashy"]);
    execFileSync("rm", ["-rf", p.worktree("crashy")]);
    await p.ok(["launch"]).catch(() => undefined);
    const left = await jjOut(p, ["workspace", "list", "-T", 'name ++ "\\n"']);
    expect(left.split("\n").filter((n) => n.startsWith("bl-"))).toEqual([]);
  }, 300_000);
});
