/** Cost with the real Droid (`droid-headless`, a custom model) against the fake Messages API: its session's token totals, priced. */

import { costTests, FAKE_ANTHROPIC_COST, turnsAnswered } from "../helpers/agent-cost.js";
import { useRealAgentClis } from "../helpers/agent-e2e.js";
import { DROID } from "../helpers/agents-under-test.js";

useRealAgentClis();

costTests({
  agent: DROID,
  preset: "droid-headless",
  titles: {
    describe: "cost, with the real Droid",
    run: "a run's usage is its session's token totals (~/.factory/sessions), its answers once each, at the fake's numbers, under the custom model's own name, priced",
    retry: "over a retry each attempt counts its own session's answers, none twice",
  },
  source: "droid",
  answered: (requests) => turnsAnswered(requests, "claude-sonnet-4-5"),
  // Droid writes a session's totals after each answer; the answer after the accepted `ballador
  // done` may be stopped before. Its totals are written before the answer's line in the session:
  // an answer it was stopped after (measured: the retry's last) is in the totals only.
  minMessages: 1,
  totalsAhead: 1,
  ...FAKE_ANTHROPIC_COST,
  allButLast: true,
  ms: { run: [240_000, 300_000], retry: [300_000, 360_000] },
});
