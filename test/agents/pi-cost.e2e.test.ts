/** Cost with the real Pi (`pi-headless`) against the fake Messages API: its session records, priced. */

import { costTests, FAKE_ANTHROPIC_COST, turnsAnswered } from "../helpers/agent-cost.js";
import { useRealAgentClis } from "../helpers/agent-e2e.js";
import { PI } from "../helpers/agents-under-test.js";

useRealAgentClis();

costTests({
  agent: PI,
  preset: "pi-headless",
  titles: {
    describe: "cost, with the real Pi",
    run: "a run's usage is its answers in Pi's own session records, each once, priced",
    retry: "over a retry each attempt counts its own answers, none twice",
  },
  source: "pi",
  answered: (requests) => turnsAnswered(requests, "claude-opus-4-7"),
  minMessages: 1,
  ...FAKE_ANTHROPIC_COST,
  allButLast: true,
  ms: { run: [120_000, 150_000], retry: [180_000, 220_000] },
});
