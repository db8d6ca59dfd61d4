/**
 * After every step of a run in a jj workspace, Ballador snapshots the workspace inside the run's
 * sandbox: an agent that only writes files (no jj command, no `done`) has its change taken; and
 * the snapshot, which reads jj config the agent can write, runs a program that config names only
 * inside the sandbox. End to end through bin/ballador.js with a real jj and bubblewrap.
 */
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { jjAvailable } from "../helpers/jj.js";
import { cleanupProjects } from "../helpers/runtime.js";
import { writePart } from "../helpers/verification.js";
import { agentJj, makeJjProject } from "./jj-project.js";

afterEach(cleanupProjects);

const version = jjAvailable();

describe.skipIf(!version)(`the host's snapshot after a jj step (jj ${version ?? "not installed"})`, () => {
  it("an agent that only writes files has its change taken; retried, it reaches review with it; a signing program planted in jj's config runs only inside the sandbox", async () => {
    const p = await makeJjProject();
    const flag = join(p.parent, "go-on");
    await writePart(p, "quiet", {
      steps: [
        { write: { path: "quiet.txt", content: "quiet\n" } },
        { write: { path: "sub/deep.txt", content: "deep\n" } },
        // The first attempt ends here, without a jj command or done.
        { run: `test -e '${flag}'` },
        { done: { summary: "quiet work" } },
      ],
    });
    const pwned = join(p.parent, "pwned");
    await writePart(p, "signer", {
      steps: [
        {
          write: {
            path: "sign.sh",
            content: `#!/bin/sh\ntouch "$(dirname "$0")/signer-ran"\ntouch '${pwned}'\nexit 1\n`,
          },
        },
        { run: "chmod +x sign.sh" },
        // The agent's own jj writes the workspace's config (in the run's HOME); its later edit is left for the host.
        { run: agentJj("config set --workspace signing.behavior own") },
        { run: agentJj("config set --workspace signing.backend gpg") },
        { run: agentJj(`config set --workspace signing.backends.gpg.program "$PWD/sign.sh"`) },
        { write: { path: "late.txt", content: "late\n" } },
      ],
    });
    await p.ok(["queue"]);
    await p.ok(["launch"]);
    expect((await p.waitState("quiet", ["review", "failed"])).state).toBe("failed");
    expect((await p.waitState("signer", ["review", "failed"])).state).toBe("failed");

    // The quiet agent's files are its change, taken after its step: the bookmark holds them at home.
    expect(await p.git(["show", "ballador/quiet:quiet.txt"])).toBe("quiet\n");
    expect(await p.git(["show", "ballador/quiet:sub/deep.txt"])).toBe("deep\n");
    expect(await p.git(["diff", "--name-only", "main", "ballador/quiet"])).toBe("quiet.txt\nsub/deep.txt\n");

    // The planted signer ran for the snapshot (its mark is in the workspace), and only inside:
    // nothing outside the workspace was written; the failed snapshot is a note.
    expect(existsSync(join(p.worktree("signer"), "signer-ran"))).toBe(true);
    expect(existsSync(pwned)).toBe(false);
    const notes = (await p.show("signer")).notes.map((n) => n.text).join("\n");
    expect(notes).toContain("jj util snapshot in the workspace failed");

    // Retried, the quiet agent goes on to done: review, verified with its change.
    await writeFile(flag, "");
    await p.ok(["retry", "quiet"]);
    await p.reaches("quiet", "review");
    expect(await p.git(["show", "ballador/quiet:quiet.txt"])).toBe("quiet\n");
  }, 300_000);
});
