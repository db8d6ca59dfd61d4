/** Cost with the real Cline CLI (`cline-headless`) against the fake Messages API: its session records, priced. */

import { costTests } from "../helpers/agent-cost.js";
import { useRealAgentClis } from "../helpers/agent-e2e.js";
import { CLINE } from "../helpers/agents-under-test.js";
import { agentTurns, type RecordedRequest } from "../helpers/fake-anthropic.js";

useRealAgentClis();

costTests({
  agent: CLINE,
  preset: "cline-headless",
  titles: {
    describe: "cost, with the real Cline's CLI",
    run: "a run's usage is its answers in Cline's CLI's own session records, each once, priced",
    retry: "over a retry each attempt counts its own answers, none twice",
  },
  source: "cline",
  // The answers the fake gave to the agent's conversation (its requests with tools).
  answered: (requests) => ({
    count: agentTurns(requests as RecordedRequest[]).length,
    models: ["claude-sonnet-4-5"],
  }),
  minMessages: 1,
  // The fake answers every request with 10 input and 20 output tokens.
  perAnswer: { input: 10, output: 20, cacheRead: 0 },
  tokensPerAnswer: 30,
  microUsdPerAnswer: 10 * 3 + 20 * 15,
  prices: { "claude-*": { input: 3, output: 15 } },
  allButLast: true,
  ms: { run: [120_000, 150_000], retry: [180_000, 220_000] },
});
