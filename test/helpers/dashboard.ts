/**
 * The dashboard as the tests reach it: `ballador dashboard --port 0 --json` started in a project
 * (its URL read from the JSON line it prints), and raw HTTP requests a browser would not send.
 *
 *   const d = await serveDashboard(p);   // d.url carries the login token; d.server.child to stop it
 *   const r = await rawRequest(d.port, "/api/board", { headers: { Host: "evil.example" } });
 */
import { request } from "node:http";
import { type Background, type Project, waitFor } from "./runtime.js";

export interface ServedDashboard {
  url: string;
  origin: string;
  port: number;
  /** The login token in the URL. */
  token: string;
  server: Background;
}

/** Starts the dashboard in `p` (more arguments in `extra`, more environment in `env`) and waits for its URL. */
export async function serveDashboard(
  p: Project,
  extra: string[] = [],
  env: NodeJS.ProcessEnv = {},
): Promise<ServedDashboard> {
  const server = p.spawn(["dashboard", "--port", "0", "--json", ...extra], env);
  const info = await waitFor(
    async () => {
      const out = server.output();
      const end = out.indexOf("}\n");
      if (end < 0) {
        if (server.child.exitCode !== null) throw new Error(`dashboard exited: ${out}`);
        return undefined;
      }
      return JSON.parse(out.slice(out.indexOf("{"), end + 1)) as { url: string; port: number };
    },
    () => `the dashboard's URL (output: ${server.output()})`,
  );
  const u = new URL(info.url);
  return {
    url: info.url,
    origin: u.origin,
    port: info.port,
    token: u.searchParams.get("token") as string,
    server,
  };
}

export type RawResponse = {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
};

/** A raw request to 127.0.0.1, with headers exactly as given (browsers would not let a page forge Host). */
export function rawRequest(
  port: number,
  path: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port, path, method: opts.method ?? "GET", headers: opts.headers },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => {
          body += d;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      },
    );
    req.on("error", reject);
    req.end(opts.body);
  });
}
