/** Cost with the real OpenCode (`opencode-headless`) against the fake Messages API: its database, priced. */

import { costTests, FAKE_ANTHROPIC_COST, turnsAnswered } from "../helpers/agent-cost.js";
import { useRealAgentClis } from "../helpers/agent-e2e.js";
import { OPENCODE } from "../helpers/agents-under-test.js";

useRealAgentClis();

costTests({
  agent: OPENCODE,
  preset: "opencode-headless",
  titles: {
    describe: "cost, with the real OpenCode",
    run: "a run's usage is its answers in OpenCode's database, each once, at the fake's numbers, priced",
    retry: "over a continued retry each attempt counts its own answers, none twice",
  },
  source: "opencode",
  answered: (requests) => turnsAnswered(requests, "claude-sonnet-4-5"),
  // OpenCode writes an answer's tokens when its step ends, after its tool ran: the answer whose
  // tool was the accepted `ballador done` may be stopped before (seen in one of two runs).
  minMessages: 1,
  ...FAKE_ANTHROPIC_COST,
  allButLast: true,
  ms: { run: [100_000, 150_000], retry: [150_000, 200_000] },
});
