/**
 * The seeding of Kilo Code's CLI's, Factory's Droid's, Augment's Auggie's and Amp's HOME (see home.ts
 * for the rules every seeding follows: the person's files read, never written; the run's HOME
 * written through HomeFiles). Measured with Kilo CLI 7.7.7 and Droid 0.225.2 against a local fake
 * Messages API; Auggie 0.36.0 and Amp 0.0.1790142911 only up to their login checks
 * (docs/specs/0010-agents.md).
 */
import { join } from "node:path";
import type { HomeFiles } from "../hostile/index.js";
import type { AgentHomeContext } from "./home.js";
import {
  copyIfMissing,
  copyTreeIfMissing,
  isObject,
  jsonOf,
  readPersonalJson,
  writeJson,
} from "./home-json.js";

/**
 * Kilo (an OpenCode fork, its folders named `kilo`): the person's config folder and provider
 * logins. The config folder is mounted read-only (the preset's readOnlyHome), so the files it
 * writes there at start are written here first, with the content it writes: the ignore file,
 * and the empty marker of its one-time permission migration.
 */
export function seedKilo(home: HomeFiles, ctx: AgentHomeContext): { env: Record<string, string> } {
  const ignored = ["node_modules", "package.json", "package-lock.json", "pnpm-lock.yaml", "bun.lock"];
  const quiet = seedOpencodeLike(home, ctx, "kilo", [
    ...ignored,
    "yarn.lock",
    ".gitignore",
    "agent-manager.json",
  ]);
  if (!home.isFile(".config/kilo/.bash-permission-migrated"))
    home.write(".config/kilo/.bash-permission-migrated", "", 0o644);
  return {
    env: {
      ...quiet,
      KILO_DISABLE_SESSION_INGEST: "1",
      KILO_DISABLE_PRESENCE: "1",
      // Its PostHog telemetry (us.i.posthog.com): off when the variable says other than "all".
      KILO_TELEMETRY_LEVEL: "off",
      // Its snapshots (a second git store of the worktree) took so long under the sandbox on a
      // loaded machine that its TUI stopped to ask whether to disable them; git keeps the work.
      KILO_CONFIG_CONTENT: JSON.stringify({ snapshot: false }),
      npm_config_fetch_retries: "0",
    },
  };
}

/**
 * OpenCode and its fork Kilo (folders named `name`): the person's config folder and provider
 * logins, and the variables that turn off the traffic a task does not need (self-update, the
 * model catalog, language-server downloads, sharing, default plugins from npm). The config
 * folder is mounted read-only in the sandbox, and at start each writes its ignore file there
 * (and cannot start when that fails): written here, with the content it would write.
 */
export function seedOpencodeLike(
  home: HomeFiles,
  ctx: AgentHomeContext,
  name: "opencode" | "kilo",
  ignore: string[],
): Record<string, string> {
  copyTreeIfMissing(home, join(ctx.realHome, ".config", name), `.config/${name}`);
  home.dir(`.config/${name}`);
  if (!home.isFile(`.config/${name}/.gitignore`))
    home.write(`.config/${name}/.gitignore`, ignore.join("\n"), 0o644);
  copyIfMissing(
    home,
    join(ctx.realHome, ".local", "share", name, "auth.json"),
    `.local/share/${name}/auth.json`,
  );
  const off = ["AUTOUPDATE", "MODELS_FETCH", "LSP_DOWNLOAD", "SHARE", "DEFAULT_PLUGINS"];
  return Object.fromEntries(off.map((what) => [`${name.toUpperCase()}_DISABLE_${what}`, "1"]));
}

/**
 * Droid (`~/.factory`): the person's settings (their custom models: a model of their own needs
 * no Factory login), instructions, droids and commands; not their login (`auth*`), sessions or
 * logs. With no model chosen and exactly one custom model, that one is chosen: its default model
 * is Factory's, which needs a login.
 */
export function seedDroid(home: HomeFiles, ctx: AgentHomeContext): { env: Record<string, string> } {
  const personal = join(ctx.realHome, ".factory");
  home.dir(".factory");
  copyIfMissing(home, join(personal, "AGENTS.md"), ".factory/AGENTS.md");
  for (const dir of ["droids", "commands"]) copyTreeIfMissing(home, join(personal, dir), `.factory/${dir}`);
  const settings =
    jsonOf(home.read(".factory/settings.json")) ?? readPersonalJson(join(personal, "settings.json")) ?? {};
  const custom = Array.isArray(settings.customModels) ? settings.customModels.filter(isObject) : [];
  const chosen = typeof settings.model === "string" && settings.model.length > 0;
  const only = custom.length === 1 ? custom[0] : undefined;
  const model =
    !chosen && only && typeof only.displayName === "string"
      ? { model: `custom:${only.displayName.trim().replace(/\s+/g, "-")}-0` }
      : {};
  writeJson(home, ".factory/settings.json", {
    // Droid-Shield refuses a `git commit` chained with other commands ("could not determine the
    // Git repository safely"): off unless the person chose; Ballador's verify and review follow.
    enableDroidShield: false,
    ...settings,
    ...model,
    cloudSessionSync: false,
    enableAutoUpdate: false,
  });
  if (ctx.sandboxed) {
    home.dir(".factory/bin");
    home.write(".factory/bin/ps", DROID_PS, 0o755);
  }
  // The keychain (libsecret) is out of reach inside the sandbox: it keeps its login in files then.
  return { env: { FACTORY_DROID_AUTO_UPDATE_ENABLED: "false", FACTORY_DISABLE_KEYRING: "1" } };
}

/**
 * Droid runs every command under a watcher that kills the command's process group (SIGKILL)
 * unless `ps -o ppid= -p $$` names Droid's PID. Inside the sandbox a process sees its PID in the
 * runtime's nested PID namespace, but /proc is the sandbox's outer one (the runtime's /proc
 * remount is refused over bwrap's locked /proc/sys and friends), so that `ps` describes another
 * process and every command still running at the first check was killed. This `ps`, first on
 * the PATH Droid gives its commands (~/.factory/bin), answers that one question in the nested
 * namespace (NSpid's last field) and hands anything else to the system's ps. It runs inside the
 * sandbox only, with the agent's rights: it changes nothing of the sandbox.
 */
const DROID_PS = `#!/bin/sh
# Written by Ballador for Droid in its sandbox: ps -o ppid= -p PID in the agent's own PID namespace.
if [ "$#" -eq 4 ] && [ "$1" = "-o" ] && [ "$2" = "ppid=" ] && [ "$3" = "-p" ]; then
  cat /proc/[0-9]*/status 2>/dev/null | awk -v want="$4" '
    /^Name:/ { pp = "" }
    /^PPid:/ { pp = $2 }
    /^NSpid:/ { inner[$2] = $NF; if (NF > 2 && $NF == want) parent = pp }
    END { if (parent == "" || !(parent in inner)) exit 1; print inner[parent] }'
  exit
fi
for ps in /usr/bin/ps /bin/ps; do [ -x "$ps" ] && exec "$ps" "$@"; done
echo "ps: not found" >&2
exit 127
`;

/** Auggie (`~/.augment`): the person's login and settings. */
export function seedAuggie(home: HomeFiles, ctx: AgentHomeContext): { env: Record<string, string> } {
  const personal = join(ctx.realHome, ".augment");
  home.dir(".augment");
  for (const file of ["session.json", "settings.json"])
    copyIfMissing(home, join(personal, file), `.augment/${file}`);
  return { env: { AUGMENT_DISABLE_AUTO_UPDATE: "1" } };
}

/**
 * Amp: the person's settings (`~/.config/amp/settings.json`, but their MCP servers) with all
 * commands allowed and update checks off, and its login (`~/.local/share/amp/secrets.json`, where `amp login` keeps
 * its API key); nothing else of theirs (threads are on Amp's service; no device id, no logs).
 */
export function seedAmp(home: HomeFiles, ctx: AgentHomeContext): { env: Record<string, string> } {
  home.dir(".config/amp");
  home.dir(".local/share/amp");
  const settings =
    jsonOf(home.read(".config/amp/settings.json")) ??
    readPersonalJson(join(ctx.realHome, ".config", "amp", "settings.json")) ??
    {};
  // Its MCP servers are left out: their entries carry their own tokens (env, headers).
  const { "amp.mcpServers": _mcp, ...kept } = settings;
  writeJson(home, ".config/amp/settings.json", {
    ...kept,
    "amp.dangerouslyAllowAll": true,
    "amp.updates.mode": "disabled",
  });
  copyIfMissing(
    home,
    join(ctx.realHome, ".local", "share", "amp", "secrets.json"),
    ".local/share/amp/secrets.json",
  );
  return { env: {} };
}
