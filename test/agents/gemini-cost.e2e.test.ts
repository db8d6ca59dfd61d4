/**
 * Cost with the real Gemini CLI (issue 15): `gemini-headless`, sandboxed, in tmux, against the
 * fake Gemini API, whose every conversation turn reports 10 prompt tokens (4 of them cached),
 * 5 output and 3 thought tokens (GEMINI_TURN_USAGE) and every side request (routing) 1 and 1.
 * Each run's usage comes from the session file Gemini CLI wrote in the run's HOME
 * (`~/.gemini/tmp/<project>/chats/session-*.jsonl`): the turns only, each once, under the model
 * the CLI asked for, priced; over a retry that resumes the conversation (the session carried
 * into the new HOME and appended to) nothing is counted twice.
 */

import { costTests } from "../helpers/agent-cost.js";
import { useRealAgentClis } from "../helpers/agent-e2e.js";
import { GEMINI } from "../helpers/agents-under-test.js";
import { GEMINI_TURN_USAGE, type GeminiRequest } from "../helpers/fake-gemini.js";

useRealAgentClis();

// What one turn costs in Ballador's terms: the prompt net of the cached part, thoughts as output.
const T = GEMINI_TURN_USAGE;
const PER_TURN = {
  input: T.promptTokenCount - T.cachedContentTokenCount,
  cacheRead: T.cachedContentTokenCount,
  output: T.candidatesTokenCount + T.thoughtsTokenCount,
};

costTests({
  agent: GEMINI,
  preset: "gemini-headless",
  titles: {
    describe: "cost, with the real Gemini CLI",
    run: "a run's usage is its session's turns, each once, at the fake's numbers, priced",
    retry: "over a resumed retry each attempt counts its own turns, none twice",
  },
  source: "gemini",
  // The fake's conversation turns (requests with tools): how many, and the models they asked.
  answered: (requests) => {
    const turns = (requests as GeminiRequest[]).filter((r) => r.answer !== "text");
    const models = turns.map((r) => /\/models\/([^:]+):/.exec(r.path)?.[1] ?? "?");
    return { count: turns.length, models: [...new Set(models)] };
  },
  minMessages: 2,
  perAnswer: { ...PER_TURN, cacheWrite: 0 },
  tokensPerAnswer: T.totalTokenCount,
  microUsdPerAnswer: PER_TURN.input * 0.3 + PER_TURN.output * 2.5 + PER_TURN.cacheRead * 0.03,
  prices: { "gemini-*": { input: 0.3, output: 2.5, cache_read: 0.03 } },
  allButLast: true,
  ms: { run: [100_000, 150_000], retry: [150_000, 200_000] },
});
