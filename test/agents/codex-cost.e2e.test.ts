/**
 * Cost with the real Codex CLI (issue 15): `codex-headless`, sandboxed, in tmux, against the fake
 * Responses API (each answer: 10 input, 5 output tokens). Each run's usage comes from the rollout
 * Codex wrote in the run's HOME (`~/.codex/sessions/...`): the records of the run's worktree,
 * every response once; over a retry that resumes the conversation (the rollout carried and
 * appended to) nothing is counted twice.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type AgentUnderTest, closeApis, retried } from "../helpers/agent-e2e.js";
import {
  functionOutputs,
  type ResponsesRequest,
  responsesPrompt,
  responsesTurns,
  startFakeResponses,
} from "../helpers/fake-openai-responses.js";
import { cleanupSandboxTests } from "../helpers/sandbox.js";

afterEach(async () => {
  await closeApis();
  await cleanupSandboxTests();
});

const requestsOf = (api: { requests: unknown[] }) => api.requests as ResponsesRequest[];
let lastApi: { requests: unknown[] } | null = null;

const CODEX: AgentUnderTest = {
  name: "codex",
  env: ["OPENAI_API_KEY", "OPENAI_BASE_URL"],
  startApi: async (script) => {
    const api = await startFakeResponses(script);
    lastApi = api;
    return api;
  },
  configure: async (p, api) => {
    p.env.OPENAI_API_KEY = "sk-test-codex-0123456789";
    p.env.OPENAI_BASE_URL = `${api.url}/v1`;
    await mkdir(join(p.home, ".codex"), { recursive: true });
    await writeFile(join(p.home, ".codex", "config.toml"), 'model = "fake-model"\n');
  },
  firstPrompt: (api) => responsesPrompt(requestsOf(api)),
  toolOutputs: (api) => functionOutputs(requestsOf(api)),
  turns: (api) => responsesTurns(requestsOf(api)),
  deniedExtras: ["raw.githubusercontent.com"],
};

interface Usage {
  source: string;
  input: number;
  output: number;
  cacheRead: number;
  messages: number;
  byModel: Record<string, unknown>;
}

describe("cost, with the real Codex CLI", () => {
  it("each attempt's usage comes from its rollout, every response once, none counted twice over the resumed retry", async () => {
    const r = await retried(CODEX, "codex-headless", false);
    const runs = (await r.p.show(r.id)).runs as unknown as Array<{ id: string; usage: Usage | null }>;
    expect(runs).toHaveLength(2);
    for (const run of runs) {
      const u = run.usage as Usage;
      expect(u, `run ${run.id} has no usage`).not.toBeNull();
      expect(u.source).toBe("codex");
      expect(Object.keys(u.byModel)).toEqual(["fake-model"]);
      expect(u.messages).toBeGreaterThanOrEqual(2);
      expect(u.input).toBe(10 * u.messages);
      expect(u.output).toBe(5 * u.messages);
    }
    // The model's answers the fake gave (its requests with tools), each counted once at most.
    const answered = responsesTurns(requestsOf(lastApi as { requests: unknown[] })).length;
    const counted = runs.reduce((n, run) => n + (run.usage?.messages ?? 0), 0);
    expect(counted).toBeLessThanOrEqual(answered);
    expect(counted).toBeGreaterThanOrEqual(answered - runs.length);
  }, 180_000);
});
