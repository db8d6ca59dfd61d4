/**
 * Needs you from an agent's own hooks (Claude Code's events, which Qwen Code and Copilot CLI
 * read too): the real CLI, interactive, sandboxed, ends its turn with a question instead of
 * `ballador done`; its Stop hook runs `ballador hook`, so the task needs you within seconds of
 * the turn's end, long before `needs_you.quiet` (1m) would let the screen say so, with the
 * hook's words ("ended its turn without ballador done"), which the screen never writes. Nobody
 * answers, so the nudge is typed into its pane, reaches the model, and the agent reports done.
 * For agents against the fake Messages API. `withQuestion: false` for a Stop hook whose input
 * does not carry the last answer (Copilot CLI 1.0.102's).
 */
import { expect } from "vitest";
import type { AgentUnderTest } from "./agent-e2e.js";
import { closedAfterTest, diagnose, realCliProject, settle } from "./agent-e2e.js";
import { agentTurns, type RecordedRequest, textOf } from "./fake-anthropic.js";
import { waitFor } from "./runtime.js";

const NUDGE = "Nobody is watching this session";
const QUESTION = "Should the greeting be formal or casual?";

export async function needsYouByHooks(
  agent: AgentUnderTest,
  { withQuestion = true }: { withQuestion?: boolean } = {},
): Promise<{ seconds: number }> {
  const id = `hooks-${agent.name}`;
  const api = await agent.startApi({
    steps: [`printf 'hello\\n' > hello.txt && git add hello.txt && git commit -q -m "add hello.txt"`],
    finalText: QUESTION,
    onPrompt: { marker: NUDGE, steps: [`ballador done --summary "chose casual"`], finalText: "Reported." },
  });
  closedAfterTest(api);
  const p = await realCliProject(
    { [agent.name]: { preset: agent.name, env: agent.env } },
    { config: { needs_you: { quiet: "1m", nudge_after: "4s" }, idle_timeout: "10m" } },
  );
  await agent.configure(p, api);
  await p.part(id, { body: "Write hello.txt with a greeting and commit it.", verify: "test -f hello.txt" });
  await p.ok(["queue"]);
  const launched = await p.run(["launch", "--json"]);
  expect(launched.code, launched.stdout + launched.stderr).toBe(0);
  let asks: { asked: string; since: string };
  try {
    asks = await waitFor(
      async () => {
        const t = (await p.status()).tasks.find((x) => x.id === id) as
          | { needsYou?: { asked: string; since: string } | null }
          | undefined;
        return t?.needsYou ?? undefined;
      },
      `${id} to need you`,
      120_000,
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${await diagnose(p, id)}`);
  }
  // The Stop hook's words, with the question it ended its turn on (its last_assistant_message).
  expect(asks.asked).toContain("ended its turn without ballador done");
  if (withQuestion) expect(asks.asked).toContain(QUESTION);
  // Within seconds of the turn's end (the last answer), well under the quiet period (1m).
  const requests = api.requests as RecordedRequest[];
  const since = Date.parse(asks.since);
  const before = requests.map((r) => Date.parse(r.at)).filter((t) => t <= since);
  const seconds = (since - Math.max(...before)) / 1000;
  expect(seconds).toBeLessThan(40);
  await settle(p, id, 120_000);
  const notes = (await p.show(id)).notes.map((n) => n.text);
  expect(notes).toContain("needs you: nudged (nobody answered)");
  expect(notes).toContain("chose casual");
  const nudged = agentTurns(requests).some((b) =>
    (b.messages ?? []).some((m) => m.role === "user" && textOf(m.content).includes(NUDGE)),
  );
  expect(nudged, "the nudge reached the model").toBe(true);
  return { seconds };
}
