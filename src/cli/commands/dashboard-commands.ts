import { spawn } from "node:child_process";
import { type Command, InvalidArgumentError } from "commander";
import { parseDuration } from "../../core/duration.js";
import { color, printJson, table } from "../output.js";
import { examples, globals, withProject } from "./common.js";

function duration(v: string): number {
  try {
    const ms = parseDuration(v);
    if (ms >= 1000) return ms;
  } catch {}
  throw new InvalidArgumentError(
    `--session-idle must be a duration of at least 1s such as 30m or 8h, got "${v}"`,
  );
}

function count(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 1000)
    throw new InvalidArgumentError(`--max-sessions must be a whole number from 1 to 1000, got "${v}"`);
  return n;
}

/**
 * `--open` without the token in any process's argv (every local user reads /proc/N/cmdline):
 * the browser gets a one-time code that the server trades for a session on first use and that
 * dies after a minute anyway. $BROWSER (its first entry) wins over xdg-open/open, as for git.
 */
function openBrowser(url: string): void {
  const browser = (process.env.BROWSER ?? "").split(":")[0]?.trim();
  const opener = browser || (process.platform === "darwin" ? "open" : "xdg-open");
  spawn(opener, [url], { stdio: "ignore", detached: true })
    .on("error", () => console.log(color.yellow(`could not run ${opener}; open the printed URL yourself`)))
    .unref();
}

function port(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError(`--port must be a whole number from 0 to 65535, got "${v}"`);
  return n;
}

export function registerDashboardCommands(program: Command): void {
  const dashboard = program.command("dashboard");
  dashboard
    .description("serve the live dashboard (graph, tasks, review queue, terminals) on this machine")
    .option("-p, --port <n>", "port to listen on (0: any free port)", port, 4780)
    .option("--host <host>", "address to bind (default 127.0.0.1: this machine only)", "127.0.0.1")
    .option("--allow-remote", "needed to bind anything but a loopback address: the network can then reach it")
    .option(
      "--open",
      "open the dashboard in the default browser ($BROWSER, else xdg-open) with a one-time code",
    )
    .option(
      "--session-idle <duration>",
      "a browser session unused this long ends (30m, 8h)",
      duration,
      8 * 3_600_000,
    )
    .option(
      "--max-sessions <n>",
      "at most this many browser sessions; a new login ends the least recently seen",
      count,
      10,
    )
    .option(
      "--typing <on|off>",
      "named browser sessions may type into running agents (default: on; off with --allow-remote)",
      onOff,
    )
    .option(
      "--editor <url-or-command>",
      'the "Open in editor" button: a URL with {path} (vscode://file{path}) or a command run here (code)',
      process.env.BALLADOR_EDITOR,
    )
    .option("--json", "print the URL and address as one JSON line, then keep serving")
    .addHelpText(
      "after",
      `${examples(
        "ballador dashboard",
        "ballador dashboard --editor 'vscode://file{path}'",
        "ballador dashboard --port 0 --open",
        "ballador dashboard --host 0.0.0.0 --allow-remote   # a pairing partner on your network",
        "ballador dashboard --session-idle 30m --max-sessions 3",
        "ballador dashboard sessions --revoke all",
      )}

The printed URL carries a random token; the first visit trades it for a session cookie, and the
page asks for your name, which the task history records beside every action you take there.
Share the URL only with whoever may see every task, diff and terminal, and launch, stop or merge.
A named session can type into a running agent's terminal on its page (keys sent in bursts,
each recorded in the task's history as typed by NAME); --typing off stops that, and --allow-remote turns it off unless
--typing on. --editor (or $BALLADOR_EDITOR) sets what "Open in editor" does with a worktree.
List, revoke and rotate with \`ballador dashboard sessions\`. Stop the server with Ctrl-C.`,
    )
    .action(serve);
  registerSessionsCommand(dashboard);
}

interface ServeOptions {
  port: number;
  host: string;
  allowRemote?: boolean;
  open?: boolean;
  json?: boolean;
  sessionIdle: number;
  maxSessions: number;
  typing?: boolean;
  editor?: string;
}

function onOff(v: string): boolean {
  if (v === "on") return true;
  if (v === "off") return false;
  throw new InvalidArgumentError(`--typing must be on or off, got "${v}"`);
}

async function serve(opts: ServeOptions, cmd: Command): Promise<void> {
  const { isLoopback, startDashboard } = await import("../../dashboard/server.js");
  const { UserError } = await import("../../project/index.js");
  const remote = !isLoopback(opts.host);
  if (remote && !opts.allowRemote)
    throw new UserError(
      `--host ${opts.host} is not a loopback address: anyone who can reach it could try the dashboard. Add --allow-remote to bind it anyway, or leave --host out (127.0.0.1).`,
    );
  const d = await startDashboard({
    cwd: globals(cmd).cwd,
    host: opts.host,
    port: opts.port,
    allowRemote: remote,
    sessionIdleMs: opts.sessionIdle,
    maxSessions: opts.maxSessions,
    typing: opts.typing,
    editor: opts.editor,
  });
  if (opts.json) printJson({ url: d.url, host: d.host, port: d.port, remote });
  else {
    console.log(`Ballador dashboard: ${color.bold(d.url)}`);
    if (remote)
      console.log(
        color.yellow(
          `warning: bound to ${opts.host}: any machine that can reach port ${d.port} can try it, and whoever has this URL sees every task, diff and terminal and can launch, stop, retry and merge. The traffic is plain HTTP: on an untrusted network the token can be read.`,
        ),
      );
    console.log(color.dim("Ctrl-C stops it; running agents keep running."));
  }
  if (opts.open) openBrowser(d.openUrl());
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  await d.close();
}

function registerSessionsCommand(dashboard: Command): void {
  dashboard
    .command("sessions")
    .description(
      "list the browser sessions of this project's running dashboards; revoke them or rotate the token",
    )
    .option("--revoke <id|name|all>", "end the session with this id or name (or every session)")
    .option(
      "--rotate-token",
      "give every running dashboard a new login token (prints the new URL); all sessions end",
    )
    .option("--json", "print JSON")
    .addHelpText(
      "after",
      `${examples(
        "ballador dashboard sessions",
        "ballador dashboard sessions --revoke 3fa9c01b2e",
        "ballador dashboard sessions --revoke Sam",
        "ballador dashboard sessions --revoke all --json",
        "ballador dashboard sessions --rotate-token",
      )}

A revoked browser is logged out at its next request; its open page within a second.`,
    )
    .action(async (_opts: unknown, cmd: Command) => {
      const o = cmd.optsWithGlobals() as { revoke?: string; rotateToken?: boolean; json?: boolean };
      const s = await import("../../observe/index.js");
      await withProject(cmd, (project) => {
        if (o.rotateToken) {
          const r = s.rotateTokens(project);
          if (o.json) return printJson({ rotated: r });
          for (const d of r)
            console.log(
              `New URL: ${color.bold(d.url)} (${d.ended} session${d.ended === 1 ? "" : "s"} ended)`,
            );
          return;
        }
        if (o.revoke !== undefined) {
          const ended = s.revokeSessions(project, o.revoke);
          if (o.json) return printJson({ revoked: ended });
          console.log(
            ended.length === 0
              ? "No session to revoke."
              : `Revoked ${ended.map((e) => (e.name ? `${e.id} (${e.name})` : e.id)).join(", ")}.`,
          );
          return;
        }
        const list = s.listSessions(project);
        if (o.json) return printJson({ sessions: list });
        if (list.length === 0) return console.log("No dashboard sessions.");
        console.log(
          table(
            ["ID", "NAME", "CREATED", "LAST SEEN", "FROM", "DASHBOARD"],
            list.map((l) => [l.id, l.name ?? "(unnamed)", l.created, l.lastSeen, l.from, l.dashboard]),
          ),
        );
      });
    });
}
