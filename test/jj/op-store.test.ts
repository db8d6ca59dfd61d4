/**
 * jj does not check an operation file against its name when it reads one: an agent that could
 * write the shared `op_store` could put its own operation's content (a view with `main` moved)
 * under the name of the repository's head operation, and the person's jj would load it. Inside a
 * run, `op_store/operations` and `views` are per-run copies (links to the real files, read-only);
 * after each step only new files are taken into the store. End to end through bin/ballador.js
 * with a real jj and bubblewrap.
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { jjAvailable } from "../helpers/jj.js";
import { cleanupProjects } from "../helpers/runtime.js";
import { writePart } from "../helpers/verification.js";
import { agentJj, jjDone, jjOut, makeJjProject } from "./jj-project.js";

afterEach(cleanupProjects);

const version = jjAvailable();

describe.skipIf(!version)(`the shared operation store (jj ${version ?? "not installed"})`, () => {
  it("an agent rewriting the repository's head operation (in place, or removed and replaced) changes nothing at home; its new operations are taken", async () => {
    const p = await makeJjProject();
    const store = join(p.dir, ".jj", "repo", "op_store");
    const heads = join(p.dir, ".jj", "repo", "op_heads", "heads");
    const ops = `${store}/operations`;
    await writePart(p, "rewriter", {
      steps: [
        { run: `ls ${heads} > "$HOME/start-op"` },
        { run: agentJj("bookmark set main -r @ --allow-backwards") },
        // Its head is now the operation that moved main: its content goes under the start's name.
        { run: `cp ${ops}/$(ls ${heads}) ${ops}/$(cat "$HOME/start-op")`, allow_fail: true },
        {
          run: `rm -f ${ops}/$(cat "$HOME/start-op") && cp ${ops}/$(ls ${heads}) ${ops}/$(cat "$HOME/start-op")`,
        },
        // The person's views (links in its copy; its own new view is a file it keeps).
        { run: `find ${store}/views -type l -delete` },
        ...jjDone("rewriter.txt", "x\n", "rewriter work"),
      ],
    });
    const start = execFileSync("ls", [heads], { encoding: "utf8" }).trim();
    const mainBefore = (await jjOut(p, ["log", "--no-graph", "-r", "main", "-T", "commit_id"])).trim();
    await p.ok(["queue"]);
    await p.ok(["launch"]);
    expect((await p.waitState("rewriter", ["review", "failed"])).state).toBe("failed");

    // Home: main where it was, the head operation's record as jj wrote it, every view still there.
    expect((await jjOut(p, ["log", "--no-graph", "-r", "main", "-T", "commit_id"])).trim()).toBe(mainBefore);
    const top = await jjOut(p, ["op", "log", "--no-graph", "--at-op", start, "-n", "1", "-T", "description"]);
    expect(top).not.toContain("point bookmark main");
    expect(await jjOut(p, ["op", "log", "--no-graph", "-T", 'id.short() ++ "\\n"'])).toContain(
      start.slice(0, 12),
    );
    const notes = (await p.show("rewriter")).notes.map((n) => n.text).join("\n");
    expect(notes).toContain("tried to move bookmark main");
    expect(notes).toMatch(/rewrote operation [0-9a-f]{12}/);
    // Its own operations were taken: its commit is the task's change at home.
    expect(await p.git(["show", "ballador/rewriter:rewriter.txt"])).toBe("x\n");
  }, 300_000);
});
