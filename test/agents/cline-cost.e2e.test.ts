/** Cost with the real Cline CLI (`cline-headless`) against the fake Messages API: its session records, priced. */

import { costTests, FAKE_ANTHROPIC_COST, turnsAnswered } from "../helpers/agent-cost.js";
import { useRealAgentClis } from "../helpers/agent-e2e.js";
import { CLINE } from "../helpers/agents-under-test.js";

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
  answered: (requests) => turnsAnswered(requests, "claude-sonnet-4-5"),
  minMessages: 1,
  ...FAKE_ANTHROPIC_COST,
  allButLast: true,
  ms: { run: [120_000, 150_000], retry: [180_000, 220_000] },
});
