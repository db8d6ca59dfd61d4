import { spawn } from "node:child_process";
import type { Command } from "commander";
import { color, printJson } from "../output.js";
import { examples, globals } from "./common.js";

function port(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new Error(`--port must be a whole number from 0 to 65535, got "${v}"`);
  return n;
}

export function registerDashboardCommands(program: Command): void {
  program
    .command("dashboard")
    .description("serve the live dashboard (graph, tasks, review queue, terminals) on this machine")
    .option("-p, --port <n>", "port to listen on (0: any free port)", port, 4780)
    .option("--host <host>", "address to bind (default 127.0.0.1: this machine only)", "127.0.0.1")
    .option("--allow-remote", "needed to bind anything but a loopback address: the network can then reach it")
    .option("--open", "open the URL in the default browser")
    .option("--json", "print the URL and address as one JSON line, then keep serving")
    .addHelpText(
      "after",
      `${examples(
        "ballador dashboard",
        "ballador dashboard --port 0 --open",
        "ballador dashboard --host 0.0.0.0 --allow-remote   # a pairing partner on your network",
      )}

The printed URL carries a random token; the first visit trades it for a session cookie. Share
the URL only with whoever may see every task, diff and terminal, and launch, stop or merge.
Stop the server with Ctrl-C.`,
    )
    .action(
      async (
        opts: { port: number; host: string; allowRemote?: boolean; open?: boolean; json?: boolean },
        cmd: Command,
      ) => {
        const { isLoopback, startDashboard } = await import("../../dashboard/server.js");
        const { UserError } = await import("../../usecases/errors.js");
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
        if (opts.open) {
          const opener = process.platform === "darwin" ? "open" : "xdg-open";
          spawn(opener, [d.url], { stdio: "ignore", detached: true })
            .on("error", () => console.log(color.yellow(`could not run ${opener}; open the URL yourself`)))
            .unref();
        }
        await new Promise<void>((resolve) => {
          const stop = () => resolve();
          process.once("SIGINT", stop);
          process.once("SIGTERM", stop);
        });
        await d.close();
      },
    );
}
