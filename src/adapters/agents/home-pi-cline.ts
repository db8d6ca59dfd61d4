/**
 * The seeding of Pi's and Cline's HOME (see home.ts for the rules every seeding follows: the
 * person's files read, never written; the run's HOME written through HomeFiles). Measured with
 * Pi 0.73.1 and Cline CLI 3.0.65 against local fakes (docs/specs/0010-agents.md).
 */
import { join } from "node:path";
import type { HomeFiles } from "../hostile/index.js";
import type { AgentHomeContext } from "./home.js";
import { copyIfMissing, isObject, jsonOf, readPersonalJson, writeJson } from "./home-json.js";

/** Pi's providers whose endpoint a base-URL variable moves (Pi itself ignores the variables). */
const PI_BASE_URLS = [
  ["ANTHROPIC_BASE_URL", "anthropic"],
  ["OPENAI_BASE_URL", "openai"],
] as const;

/**
 * Pi (`~/.pi/agent`): the person's settings, custom models and providers, logins and global
 * AGENTS.md; the install ping off; a passed ANTHROPIC_BASE_URL or OPENAI_BASE_URL written as
 * that provider's `baseUrl` in models.json (the way Pi overrides a built-in provider's endpoint).
 * PI_OFFLINE: none of its start-up network calls (version and package checks, install ping).
 */
export function seedPi(home: HomeFiles, ctx: AgentHomeContext): { env: Record<string, string> } {
  const personal = join(ctx.realHome, ".pi", "agent");
  home.dir(".pi/agent");
  for (const file of ["auth.json", "AGENTS.md"])
    copyIfMissing(home, join(personal, file), `.pi/agent/${file}`);
  const settings =
    jsonOf(home.read(".pi/agent/settings.json")) ?? readPersonalJson(join(personal, "settings.json")) ?? {};
  writeJson(home, ".pi/agent/settings.json", { ...settings, enableInstallTelemetry: false });

  const models =
    jsonOf(home.read(".pi/agent/models.json")) ?? readPersonalJson(join(personal, "models.json")) ?? {};
  const providers = isObject(models.providers) ? models.providers : {};
  let moved = false;
  for (const [variable, provider] of PI_BASE_URLS) {
    const url = ctx.env[variable]?.trim();
    if (!url) continue;
    const own = isObject(providers[provider]) ? providers[provider] : {};
    providers[provider] = { ...own, baseUrl: url };
    moved = true;
  }
  if (moved || home.isFile(".pi/agent/models.json") || Object.keys(models).length > 0)
    writeJson(home, ".pi/agent/models.json", { ...models, providers });
  return { env: { PI_OFFLINE: "1", PI_SKIP_VERSION_CHECK: "1", PI_TELEMETRY: "0" } };
}

/**
 * Cline's CLI (`~/.cline`): only the person's provider settings (what `cline auth` wrote: the
 * provider, model, key, base URL), not their sessions, databases, hooks or MCP settings. Its
 * headless sessions run in the process itself: by default it starts a shared hub daemon that
 * outlives the run (measured: detached, parent 1) and that other Cline processes would reach.
 * Its TUI starts that daemon even so; the sandbox's PID namespace ends it with the run.
 */
export function seedCline(home: HomeFiles, ctx: AgentHomeContext): { env: Record<string, string> } {
  const personal = join(ctx.realHome, ".cline", "data", "settings");
  home.dir(".cline/data/settings");
  copyIfMissing(home, join(personal, "providers.json"), ".cline/data/settings/providers.json");
  // Its telemetry (otel.cline.bot) and self-update are settings here; CLINE_TELEMETRY_DISABLED
  // alone did not stop the telemetry (measured with 3.0.65).
  const global =
    jsonOf(home.read(".cline/data/settings/global-settings.json")) ??
    readPersonalJson(join(personal, "global-settings.json")) ??
    {};
  writeJson(home, ".cline/data/settings/global-settings.json", {
    ...global,
    telemetryOptOut: true,
    autoUpdateEnabled: false,
  });
  return {
    env: {
      CLINE_SESSION_BACKEND_MODE: "local",
      CLINE_NO_AUTO_UPDATE: "1",
      CLINE_TELEMETRY_DISABLED: "1",
      CLINE_DISABLE_CLINE_PASS_NOTICE: "1",
    },
  };
}
