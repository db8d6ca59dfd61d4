/**
 * A new attempt on a runner continues the agent's own conversation (issue 32, spec 0013):
 * request-changes of a run that lived on the runner starts attempt 2 there, in the same worktree
 * path with the earlier HOME's session state carried and the preset's resume flag, as a local
 * retry does. The agent is a stand-in for Claude Code on the runner's PATH (the claude-headless
 * preset's resume and session state, its own command): it keeps a conversation id under
 * ~/.claude/projects/<its worktree>/ and, when given --continue, says which one it found.
 */
import { describe, expect, it } from "vitest";
import { HAVE_RUNNER_HOSTS } from "../helpers/runner-hosts.js";
import { remoteProject, useRunnerHosts } from "../helpers/runner-project.js";
import type { Project } from "../helpers/runtime.js";

/** A Claude Code stand-in: its conversation lives in HOME under a key of its working folder. */
const FAKE_CLAUDE = `#!/bin/sh
key=$(pwd | tr '/.' '--')
dir="$HOME/.claude/projects/$key"
mkdir -p "$dir"
if [ "$1" = "--continue" ]; then
  printf 'resumed %s\\n' "$(cat "$dir/conversation" 2>/dev/null || echo nothing)" > resumed.txt
else
  conv="conv-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \\n')"
  printf '%s\\n' "$conv" > "$dir/conversation"
  printf 'started %s\\n' "$conv" > started.txt
fi
git add -A && git -c user.name=fake -c user.email=fake@localhost commit -qm attempt
exec ballador done --summary "attempt over"
`;

async function branchFile(p: Project, file: string): Promise<string | null> {
  return p.git(["show", `ballador/conv:${file}`]).then(
    (t) => t.trim(),
    () => null,
  );
}

describe.skipIf(!HAVE_RUNNER_HOSTS)(
  "a new attempt on a runner continues the conversation (spec 0013)",
  () => {
    const hosts = useRunnerHosts([{ name: "r1", pathExtra: { "fake-claude": FAKE_CLAUDE } }]);

    it("request-changes on the runner resumes the same conversation (--continue, the earlier HOME carried)", async () => {
      const p = await remoteProject(hosts, {
        agents: {
          default: "fake",
          profiles: { fake: { preset: "claude-headless", command: ["fake-claude", "-p", "{prompt}"] } },
        },
      });
      await p.part("conv", { steps: [{ done: "unused: the fake agent ignores its script" }] });
      await p.ok(["queue"]);
      await p.ok(["launch", "conv", "--on", "r1"]);
      const first = await p.waitState("conv", ["review", "failed"], 180_000);
      expect(first.state, first.reason ?? "").toBe("review");
      const started = await branchFile(p, "started.txt");
      expect(started).toMatch(/^started conv-[0-9a-f]{16}$/);

      await p.ok(["request-changes", "conv", "go on"]);
      let resumed: string | null = null;
      for (let i = 0; i < 90 && resumed === null; i++) {
        resumed = await branchFile(p, "resumed.txt");
        if (resumed === null) await new Promise((r) => setTimeout(r, 2000));
      }
      const second = await p.waitState("conv", ["review", "failed"], 120_000);
      expect(second.state, second.reason ?? "").toBe("review");
      // The second attempt found the first one's conversation: the same id.
      expect(resumed).toBe(`resumed ${started?.slice("started ".length)}`);
      const shown = await p.show("conv");
      const runs = shown.runs as unknown as Array<{ runner: string | null; attempt: number }>;
      expect(runs.map((r) => [r.runner, r.attempt])).toEqual([
        ["r1", 1],
        ["r1", 2],
      ]);
    }, 420_000);
  },
);
