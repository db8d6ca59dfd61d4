/**
 * Needs you, read from an agent's screen (agents without hooks Ballador uses): the real CLI,
 * interactive, sandboxed, ends its turn with a question instead of `ballador done` and sits at
 * its prompt; after `needs_you.quiet` with its preset's wait pattern (its footer at the prompt)
 * on the last line the task needs you, with the question from above the footer; nobody answers, so the nudge is typed into its pane, reaches the model as the next
 * message, and the agent reports done.
 *
 * `workSeconds`: its command first runs that long (more than `quiet`) for an agent whose footer
 * reads the same while it works (Pi, Cline): only its spinner keeps the screen from going quiet,
 * so the first thing the task needs you for must still be the question, not the footer.
 */
import { expect } from "vitest";
import type { AgentUnderTest } from "./agent-e2e.js";
import { closedAfterTest, diagnose, realCliProject, settle } from "./agent-e2e.js";
import { agentTurns, type RecordedRequest, textOf } from "./fake-anthropic.js";
import { waitFor } from "./runtime.js";

const NUDGE = "Nobody is watching this session";

export async function needsYouByScreen(
  agent: AgentUnderTest,
  { workSeconds = 0 }: { workSeconds?: number } = {},
): Promise<{ seconds: number }> {
  const id = `asks-${agent.name}`;
  const api = await agent.startApi({
    steps: [
      `${workSeconds > 0 ? `sleep ${workSeconds} && ` : ""}printf 'hello\\n' > hello.txt && git add hello.txt && git commit -q -m "add hello.txt"`,
    ],
    finalText: "Should the greeting be formal or casual?",
    onPrompt: { marker: NUDGE, steps: [`ballador done --summary "chose casual"`], finalText: "Reported." },
  });
  closedAfterTest(api);
  const p = await realCliProject(
    { [agent.name]: { preset: agent.name, env: agent.env } },
    { config: { needs_you: { quiet: "5s", nudge_after: "4s" }, idle_timeout: "10m" } },
  );
  await agent.configure(p, api);
  await p.part(id, { body: "Write hello.txt with a greeting and commit it.", verify: "test -f hello.txt" });
  await p.ok(["queue"]);
  const started = Date.now();
  const launched = await p.run(["launch", "--json"]);
  expect(launched.code, launched.stdout + launched.stderr).toBe(0);
  let asked = "";
  try {
    asked = await waitFor(
      async () => {
        const t = (await p.status()).tasks.find((x) => x.id === id) as
          | { needsYou?: { asked: string } | null }
          | undefined;
        return t?.needsYou?.asked ?? undefined;
      },
      `${id} to need you`,
      120_000,
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${await diagnose(p, id)}`);
  }
  const seconds = (Date.now() - started) / 1000;
  // What it asked, read above its footer: the question its turn ended with.
  expect(asked).toBe("Should the greeting be formal or casual?");
  await settle(p, id, 120_000);
  const notes = (await p.show(id)).notes.map((n) => n.text);
  expect(notes).toContain("needs you: nudged (nobody answered)");
  expect(notes).toContain("chose casual");
  const nudged = agentTurns(api.requests as RecordedRequest[]).some((b) =>
    (b.messages ?? []).some((m) => m.role === "user" && textOf(m.content).includes(NUDGE)),
  );
  expect(nudged, "the nudge reached the model").toBe(true);
  return { seconds };
}
