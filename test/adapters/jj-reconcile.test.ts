// kill -9 with a real jj: a supervisor killed after it made its run's workspace leaves a workspace
// that the next reconcile forgets (its folder removed, a live run's kept); an agent's jj killed in
// the middle of its commits leaves a copy of the operation heads the host still reads. Skips
// loudly without jj.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  addWorkspace,
  listWorkspaces,
  readAgentOp,
  reconcileWorkspaces,
  seedOpHeads,
} from "../../src/adapters/jj/index.js";
import { JJ, JJ_ENV, jjAvailable, sandboxArgs, useJjRepo } from "../helpers/jj.js";
import { storeWritingPaths } from "./jj-store-paths.js";

const version = jjAvailable();
let dir = "";
let repo = "";
const wsPath = (name: string) => join(dir, "trees", name);

async function until(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  for (let waited = 0; waited < 30_000; waited += 100) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe.skipIf(!version)(`jj after kill -9, real jj ${version ?? "(not installed)"}`, () => {
  useJjRepo("ballador-jjrc-", ["main"], (d, r) => {
    dir = d;
    repo = r;
    mkdirSync(join(dir, "trees"));
  });

  it("a supervisor killed -9 after making its workspace: reconcile forgets it and removes its folder, keeps the live one, and is idempotent", async () => {
    await addWorkspace(repo, { name: "bl-alive", path: wsPath("bl-alive"), parents: ["main"] });
    // The stand-in supervisor: makes its run's workspace, then works until killed.
    const sup = spawn(
      "sh",
      [
        "-c",
        `"${JJ}" -R "${repo}" workspace add --name bl-crash -r main "${wsPath("bl-crash")}" && exec sleep 600`,
      ],
      { env: JJ_ENV, stdio: "ignore" },
    );
    await until("the killed run's workspace", async () => (await listWorkspaces(repo)).has("bl-crash"));
    await until("its folder", () => existsSync(join(wsPath("bl-crash"), "a")));
    sup.kill("SIGKILL");
    await new Promise((r) => sup.once("exit", r));

    const forgotten = await reconcileWorkspaces(repo, {
      prefix: "bl-",
      live: new Set(["bl-alive"]),
      pathOf: wsPath,
    });
    expect(forgotten).toEqual(["bl-crash"]);
    expect([...(await listWorkspaces(repo)).keys()].sort()).toEqual(["bl-alive", "default"]);
    expect(existsSync(wsPath("bl-crash"))).toBe(false);
    expect(existsSync(join(wsPath("bl-alive"), "a"))).toBe(true);
    expect(
      await reconcileWorkspaces(repo, { prefix: "bl-", live: new Set(["bl-alive"]), pathOf: wsPath }),
    ).toEqual([]);
  });

  it("an agent's jj killed -9 in the middle of its commits leaves one readable operation head", async () => {
    const ws = wsPath("bl-alive");
    const copy = join(dir, "run", "op-heads");
    const startOp = await seedOpHeads(repo, copy);
    const args = [
      "--die-with-parent",
      ...sandboxArgs(
        storeWritingPaths(repo, ws, copy),
        ws,
        'i=0; while true; do i=$((i+1)); echo $i > n; jj commit -m "n $i" >/dev/null 2>&1; done',
      ),
    ];
    // Its own process group: the kill reaches bwrap and the shell loop inside alike.
    const agent = spawn("bwrap", args, { env: JJ_ENV, stdio: "ignore", detached: true });
    await until("a few commits", async () => {
      const got = await readAgentOp(repo, copy, {
        workspace: "bl-alive",
        ownBookmark: "ballador/alive",
        startOp,
      });
      return got.op !== null && got.op !== startOp;
    });
    process.kill(-(agent.pid as number), "SIGKILL");
    await new Promise((r) => agent.once("exit", r));
    const got = await readAgentOp(repo, copy, {
      workspace: "bl-alive",
      ownBookmark: "ballador/alive",
      startOp,
    });
    expect(got.problems).toEqual([]);
    expect(got.head).toMatch(/^[0-9a-f]{40}$/);
  });
});
