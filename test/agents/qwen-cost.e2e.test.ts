/**
 * Cost with the real Qwen Code: `qwen-headless`, sandboxed, against the fake Messages API, whose
 * every answer reports 10 input and 20 output tokens. Each run's usage comes from its chat records (`~/.qwen/projects/<cwd>/chats/<session>.jsonl`, `usageMetadata`) in the
 * run's HOME: its answers, each once, under the model asked for, priced; over a retry that
 * resumes the conversation (--continue: the records carried into the new HOME and appended to) no
 * answer is counted twice.
 */

import { costTests, FAKE_ANTHROPIC_COST, messagesAnswered } from "../helpers/agent-cost.js";
import { useRealAgentClis } from "../helpers/agent-e2e.js";
import { QWEN } from "../helpers/agents-under-test.js";

useRealAgentClis();

costTests({
  agent: QWEN,
  preset: "qwen-headless",
  titles: {
    describe: "cost, with the real Qwen Code",
    run: "a run's usage is its answers in its own records, each once, at the fake's numbers, priced",
    retry: "over a resumed retry each attempt counts its own answers, none twice",
  },
  source: "qwen",
  answered: (requests) => messagesAnswered(requests, "claude-sonnet-4-5"),
  minMessages: 2,
  ...FAKE_ANTHROPIC_COST,
  perAnswer: { ...FAKE_ANTHROPIC_COST.perAnswer, cacheWrite: 0 },
  allButLast: false,
  ms: { run: [150_000, 200_000], retry: [200_000, 260_000] },
});
