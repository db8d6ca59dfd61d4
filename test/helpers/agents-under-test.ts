/**
 * The built-in agents as the end-to-end tests drive them (agent-e2e.ts): each against its fake
 * model server, with the person's own settings pointed at it. Shared by the agents' own tests
 * and their cost tests, so both exercise the same set-up.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { AgentUnderTest } from "./agent-e2e.js";
import {
  agentTurns,
  firstPrompt,
  type RecordedRequest,
  startFakeAnthropic,
  toolResults,
} from "./fake-anthropic.js";
import {
  type GeminiRequest,
  geminiFunctionResponses,
  geminiPrompt,
  geminiTurns,
  startFakeGemini,
} from "./fake-gemini.js";
import {
  type ChatRequest,
  chatPrompt,
  chatToolOutputs,
  chatTurns,
  startFakeChat,
} from "./fake-openai-chat.js";
import {
  functionOutputs,
  type ResponsesRequest,
  responsesPrompt,
  responsesTurns,
  startFakeResponses,
} from "./fake-openai-responses.js";

const anthropicRequests = (api: { requests: unknown[] }) => api.requests as RecordedRequest[];
const geminiRequests = (api: { requests: unknown[] }) => api.requests as GeminiRequest[];
const responsesRequests = (api: { requests: unknown[] }) => api.requests as ResponsesRequest[];

export const CODEX: AgentUnderTest = {
  name: "codex",
  env: ["OPENAI_API_KEY", "OPENAI_BASE_URL"],
  startApi: (script) => startFakeResponses(script),
  configure: async (p, api) => {
    p.env.OPENAI_API_KEY = "sk-test-codex-0123456789";
    p.env.OPENAI_BASE_URL = `${api.url}/v1`;
    // The person's own config: only the model (the fake's tool shape); the rest is Ballador's.
    await mkdir(join(p.home, ".codex"), { recursive: true });
    await writeFile(join(p.home, ".codex", "config.toml"), 'model = "fake-model"\n');
  },
  firstPrompt: (api) => responsesPrompt(responsesRequests(api)),
  toolOutputs: (api) => functionOutputs(responsesRequests(api)),
  turns: (api) => responsesTurns(responsesRequests(api)),
  // The TUI's announcement tip (raw.githubusercontent.com/openai/codex/main/announcement_tip.toml):
  // no setting of 0.169.0 turns it off (show_tooltips = false does not).
  deniedExtras: ["raw.githubusercontent.com"],
};

export const GEMINI: AgentUnderTest = {
  name: "gemini",
  env: ["GEMINI_API_KEY", "GOOGLE_GEMINI_BASE_URL"],
  startApi: (script) => startFakeGemini(script),
  configure: async (p, api) => {
    p.env.GEMINI_API_KEY = "test-gemini-key";
    p.env.GOOGLE_GEMINI_BASE_URL = api.url;
  },
  firstPrompt: (api) => geminiPrompt(geminiRequests(api)),
  toolOutputs: (api) => geminiFunctionResponses(geminiRequests(api)),
  turns: (api) => geminiTurns(geminiRequests(api)),
};

export const OPENCODE: AgentUnderTest = {
  name: "opencode",
  env: ["ANTHROPIC_API_KEY"],
  startApi: (script) => startFakeAnthropic(script),
  configure: async (p, api) => {
    p.env.ANTHROPIC_API_KEY = "sk-ant-test-opencode";
    const dir = join(p.home, ".config", "opencode");
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, "opencode.json"),
      JSON.stringify({
        $schema: "https://opencode.ai/config.json",
        model: "anthropic/claude-sonnet-4-5",
        provider: { anthropic: { options: { baseURL: `${api.url}/v1` } } },
      }),
    );
  },
  firstPrompt: (api) => firstPrompt(anthropicRequests(api)),
  toolOutputs: (api) => toolResults(anthropicRequests(api)).map((r) => r.text),
  turns: (api) => agentTurns(anthropicRequests(api)),
};

export const PI: AgentUnderTest = {
  name: "pi",
  env: ["ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL"],
  startApi: (script) => startFakeAnthropic(script),
  // Nothing of the person's: the seeding writes the anthropic provider's baseUrl into the run's
  // ~/.pi/agent/models.json from ANTHROPIC_BASE_URL, which Pi itself ignores.
  configure: async (p, api) => {
    p.env.ANTHROPIC_API_KEY = "sk-ant-test-pi";
    p.env.ANTHROPIC_BASE_URL = api.url;
  },
  firstPrompt: (api) => firstPrompt(anthropicRequests(api)),
  toolOutputs: (api) => toolResults(anthropicRequests(api)).map((r) => r.text),
  turns: (api) => agentTurns(anthropicRequests(api)),
};

export const CLINE: AgentUnderTest = {
  name: "cline",
  env: [],
  startApi: (script) => startFakeAnthropic(script),
  // The person's provider settings, as `cline auth` writes them (its anthropic provider takes a
  // base URL only there, and posts to <baseUrl>/messages).
  configure: async (p, api) => {
    const dir = join(p.home, ".cline", "data", "settings");
    await mkdir(dir, { recursive: true });
    const settings = { provider: "anthropic", apiKey: "sk-ant-test-cline", model: "claude-sonnet-4-5" };
    await writeFile(
      join(dir, "providers.json"),
      JSON.stringify({
        version: 1,
        lastUsedProvider: "anthropic",
        modes: {},
        providers: {
          anthropic: {
            settings: { ...settings, baseUrl: `${api.url}/v1` },
            updatedAt: new Date().toISOString(),
            tokenSource: "manual",
          },
        },
      }),
    );
  },
  firstPrompt: (api) => firstPrompt(anthropicRequests(api)),
  // run_commands answers with [{query, result, success}] objects, not text blocks.
  toolOutputs: (api) =>
    agentTurns(anthropicRequests(api)).flatMap((b) =>
      (b.messages ?? []).flatMap((m) =>
        Array.isArray(m.content)
          ? m.content.filter((c) => c.type === "tool_result").map((c) => JSON.stringify(c.content))
          : [],
      ),
    ),
  turns: (api) => agentTurns(anthropicRequests(api)),
  resumes: false,
  // Its feature flags (PostHog at data.cline.bot: off only under its own test variables) and,
  // in the TUI, its model catalog (models.dev, with a 5 s time limit): denied, not needed.
  deniedExtras: ["data.cline.bot", "models.dev"],
};

export const KILO: AgentUnderTest = {
  name: "kilo",
  env: ["ANTHROPIC_API_KEY"],
  startApi: (script) => startFakeAnthropic(script),
  // The person's config as OpenCode's (Kilo is its fork, its folders named kilo).
  configure: async (p, api) => {
    p.env.ANTHROPIC_API_KEY = "sk-ant-test-kilo";
    const dir = join(p.home, ".config", "kilo");
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, "kilo.json"),
      JSON.stringify({
        model: "anthropic/claude-sonnet-4-5",
        provider: { anthropic: { options: { baseURL: `${api.url}/v1` } } },
      }),
    );
  },
  firstPrompt: (api) => firstPrompt(anthropicRequests(api)),
  toolOutputs: (api) => toolResults(anthropicRequests(api)).map((r) => r.text),
  turns: (api) => agentTurns(anthropicRequests(api)),
};

export const DROID: AgentUnderTest = {
  name: "droid",
  env: [],
  startApi: (script) => startFakeAnthropic(script),
  // The person's custom model (a model of their own: no Factory login), as Factory documents
  // customModels; the seeding chooses it, the only one, since the settings name no model.
  configure: async (p, api) => {
    const dir = join(p.home, ".factory");
    await mkdir(dir, { recursive: true });
    const model = {
      model: "claude-sonnet-4-5",
      displayName: "Fake Sonnet",
      baseUrl: api.url,
      apiKey: "sk-ant-test-droid",
      provider: "anthropic",
      maxOutputTokens: 8192,
    };
    await writeFile(join(dir, "settings.json"), JSON.stringify({ customModels: [model] }));
  },
  firstPrompt: (api) => firstPrompt(anthropicRequests(api)),
  toolOutputs: (api) => toolResults(anthropicRequests(api)).map((r) => r.text),
  turns: (api) => agentTurns(anthropicRequests(api)),
};

/**
 * Qwen Code through its `openai` auth type (Chat Completions): the seeding chooses it from the
 * OPENAI_API_KEY passed; the base URL and model come from OPENAI_BASE_URL and OPENAI_MODEL.
 */
export const QWEN_CHAT: AgentUnderTest = {
  name: "qwen",
  env: ["OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_MODEL"],
  startApi: (script) => startFakeChat(script),
  configure: async (p, api) => {
    p.env.OPENAI_API_KEY = "sk-test-qwen-chat";
    p.env.OPENAI_BASE_URL = `${api.url}/v1`;
    p.env.OPENAI_MODEL = "fake-model";
  },
  firstPrompt: (api) => chatPrompt(api.requests as ChatRequest[]),
  toolOutputs: (api) => chatToolOutputs(api.requests as ChatRequest[]),
  turns: (api) => chatTurns(api.requests as ChatRequest[]),
};

/** The agent, and the fake server its latest test started (a cost test counts its answers). */
export function tracked(agent: AgentUnderTest): { agent: AgentUnderTest; last(): { requests: unknown[] } } {
  let last: { requests: unknown[] } | null = null;
  return {
    agent: {
      ...agent,
      startApi: async (script) => {
        const api = await agent.startApi(script);
        last = api;
        return api;
      },
    },
    last: () => last ?? { requests: [] },
  };
}

/** A run's usage as `show --json` gives it (the agent's own records). */
export interface ShownUsage {
  source: string;
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
  messages: number;
  byModel: Record<string, unknown>;
}

/** What the cost tests read of `show --json`. */
export interface ShownCost {
  runs: Array<{ id: string; usage: ShownUsage | null }>;
  cost: { tokens: number; usd: number | null } | null;
}

/**
 * Copilot CLI against the fake Messages API through its own "bring your own key" provider
 * (COPILOT_PROVIDER_*): no GitHub login, offline mode (the seeding sets COPILOT_OFFLINE).
 */
export const COPILOT: AgentUnderTest = {
  name: "copilot",
  env: ["COPILOT_PROVIDER_BASE_URL", "COPILOT_PROVIDER_TYPE", "COPILOT_PROVIDER_API_KEY", "COPILOT_MODEL"],
  startApi: (script) => startFakeAnthropic(script),
  configure: async (p, api) => {
    p.env.COPILOT_PROVIDER_BASE_URL = api.url;
    p.env.COPILOT_PROVIDER_TYPE = "anthropic";
    p.env.COPILOT_PROVIDER_API_KEY = "sk-ant-test-copilot";
    p.env.COPILOT_MODEL = "claude-sonnet-4.5";
  },
  firstPrompt: (api) => firstPrompt(anthropicRequests(api)),
  toolOutputs: (api) => toolResults(anthropicRequests(api)).map((r) => r.text),
  turns: (api) => agentTurns(anthropicRequests(api)),
};

/** Qwen Code against the fake Messages API: its anthropic auth type, chosen by the seeding from the key. */
export const QWEN: AgentUnderTest = {
  name: "qwen",
  env: ["ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "ANTHROPIC_MODEL"],
  startApi: (script) => startFakeAnthropic(script),
  configure: async (p, api) => {
    p.env.ANTHROPIC_API_KEY = "sk-ant-test-qwen";
    p.env.ANTHROPIC_BASE_URL = api.url;
    p.env.ANTHROPIC_MODEL = "claude-sonnet-4-5";
  },
  firstPrompt: (api) => firstPrompt(anthropicRequests(api)),
  toolOutputs: (api) => toolResults(anthropicRequests(api)).map((r) => r.text),
  turns: (api) => agentTurns(anthropicRequests(api)),
};

/**
 * Copilot CLI through its `openai` provider type (Chat Completions, its default type) against the
 * fake Chat Completions API: the base URL ends in /v1, as for any OpenAI-compatible server.
 */
export const COPILOT_CHAT: AgentUnderTest = {
  name: "copilot",
  env: ["COPILOT_PROVIDER_BASE_URL", "COPILOT_PROVIDER_TYPE", "COPILOT_PROVIDER_API_KEY", "COPILOT_MODEL"],
  startApi: (script) => startFakeChat(script),
  configure: async (p, api) => {
    p.env.COPILOT_PROVIDER_BASE_URL = `${api.url}/v1`;
    p.env.COPILOT_PROVIDER_TYPE = "openai";
    p.env.COPILOT_PROVIDER_API_KEY = "sk-test-copilot-chat";
    p.env.COPILOT_MODEL = "fake-model";
  },
  firstPrompt: (api) => chatPrompt(api.requests as ChatRequest[]),
  toolOutputs: (api) => chatToolOutputs(api.requests as ChatRequest[]),
  turns: (api) => chatTurns(api.requests as ChatRequest[]),
};
