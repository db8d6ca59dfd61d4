/**
 * Cost with the real Copilot CLI: `copilot-headless`, sandboxed, against the fake Messages API, whose
 * every answer reports 10 input and 20 output tokens. Each run's usage comes from its session events (`~/.copilot/session-state/<session>/events.jsonl`, `session.usage_record`) in the
 * run's HOME: its answers, each once, under the model asked for, priced; over a retry that
 * resumes the conversation (--continue: the records carried into the new HOME and appended to) no
 * answer is counted twice.
 */

import { costTests, FAKE_ANTHROPIC_COST, messagesAnswered } from "../helpers/agent-cost.js";
import { useRealAgentClis } from "../helpers/agent-e2e.js";
import { COPILOT } from "../helpers/agents-under-test.js";

useRealAgentClis();

costTests({
  agent: COPILOT,
  preset: "copilot-headless",
  titles: {
    describe: "cost, with the real Copilot CLI",
    run: "a run's usage is its answers in its own records, each once, at the fake's numbers, priced",
    retry: "over a resumed retry each attempt counts its own answers, none twice",
  },
  source: "copilot",
  answered: (requests) => messagesAnswered(requests, "claude-sonnet-4.5"),
  minMessages: 2,
  ...FAKE_ANTHROPIC_COST,
  perAnswer: { ...FAKE_ANTHROPIC_COST.perAnswer, cacheWrite: 0 },
  allButLast: false,
  ms: { run: [150_000, 200_000], retry: [200_000, 260_000] },
});
