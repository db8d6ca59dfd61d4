/** Cost with the real Kilo CLI (`kilo-headless`, an OpenCode fork) against the fake Messages API: its database, priced. */

import { costTests, FAKE_ANTHROPIC_COST, turnsAnswered } from "../helpers/agent-cost.js";
import { useRealAgentClis } from "../helpers/agent-e2e.js";
import { KILO } from "../helpers/agents-under-test.js";

useRealAgentClis();

costTests({
  agent: KILO,
  preset: "kilo-headless",
  titles: {
    describe: "cost, with the real Kilo CLI",
    run: "a run's usage is its answers in Kilo's database (OpenCode's message table), each once, at the fake's numbers, priced",
    retry: "over a continued retry each attempt counts its own answers, none twice",
  },
  source: "kilo",
  answered: (requests) => turnsAnswered(requests, "claude-sonnet-4-5"),
  // As OpenCode's (its code), its answer's tokens are written when its step ends, after its tool
  // ran: the answer whose tool was the accepted `ballador done` may be stopped before.
  minMessages: 1,
  ...FAKE_ANTHROPIC_COST,
  allButLast: true,
  ms: { run: [240_000, 300_000], retry: [420_000, 480_000] },
});
