/**
 * Delivering a notification from Ballador's own host process (never the agent's): a shell
 * command with the event document on stdin, a JSON POST to a webhook, the desktop's
 * notify-send. Each is bounded in time and never throws: a notification that cannot be
 * delivered is reported back, and conducting goes on.
 */
import { spawn } from "node:child_process";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { findProgram } from "../agents/profiles.js";

const TIMEOUT_MS = 10_000;

/** Runs the person's command (config: a shell is intended) with `input` on its stdin. */
export function commandWithInput(
  command: string,
  input: string,
  opts: { cwd: string; env: NodeJS.ProcessEnv },
): Promise<string | null> {
  return new Promise((resolve) => {
    const child = spawn("/bin/sh", ["-c", command], {
      cwd: opts.cwd,
      env: opts.env,
      stdio: ["pipe", "ignore", "pipe"],
      detached: true,
    });
    let err = "";
    child.stderr.on("data", (d: Buffer) => {
      err = (err + d.toString("utf8")).slice(-2000);
    });
    const timer = setTimeout(() => {
      try {
        if (child.pid) process.kill(-child.pid, "SIGKILL");
      } catch {
        // gone already
      }
    }, TIMEOUT_MS);
    child.on("error", (e) => {
      clearTimeout(timer);
      resolve(e.message);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve(code === 0 ? null : `exited ${code ?? signal}${err ? `: ${err.trim()}` : ""}`);
    });
    child.stdin.on("error", () => undefined);
    child.stdin.end(input);
  });
}

/** POSTs `body` as JSON; null when the server answered 2xx, else why not. */
export function postJson(url: string, body: string): Promise<string | null> {
  return new Promise((resolve) => {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      resolve(`not a URL: ${url}`);
      return;
    }
    const send = u.protocol === "https:" ? httpsRequest : httpRequest;
    const req = send(
      u,
      {
        method: "POST",
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
        timeout: TIMEOUT_MS,
      },
      (res) => {
        res.resume();
        const code = res.statusCode ?? 0;
        resolve(code >= 200 && code < 300 ? null : `HTTP ${code}`);
      },
    );
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", (e) => resolve(e.message));
    req.end(body);
  });
}

/** notify-send where it is installed; null when shown or when there is no desktop to show it on. */
/** Whether a desktop notification can be shown here (notify-send on PATH). */
export function hasDesktop(env: NodeJS.ProcessEnv): boolean {
  return findProgram("notify-send", process.cwd(), env) !== null;
}

export function desktopNotify(title: string, text: string, env: NodeJS.ProcessEnv): Promise<string | null> {
  const program = findProgram("notify-send", process.cwd(), env);
  if (!program) return Promise.resolve(null);
  return new Promise((resolve) => {
    // Arguments, never a shell: the text holds agents' words.
    const child = spawn(program, ["--app-name=Ballador", "--", title, text], { stdio: "ignore", env });
    const timer = setTimeout(() => child.kill("SIGKILL"), TIMEOUT_MS);
    child.on("error", (e) => {
      clearTimeout(timer);
      resolve(e.message);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve(code === 0 ? null : `notify-send exited ${code}`);
    });
  });
}
