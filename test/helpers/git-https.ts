/**
 * A git server over HTTPS on 127.0.0.1: `git http-backend` (git's own smart-HTTP CGI) behind a
 * Node https server with a certificate from testCertificates. Requests without
 * `Authorization: Bearer <token>` get 401; every Authorization header that arrived is recorded.
 *
 *   const srv = await startGitHttps({ token, files: { "hello.txt": "hi\n" } });
 *   // https://127.0.0.1:${srv.port}/repo.git ; srv.caFile signs its certificate
 *   await srv.close();
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { testCertificates } from "./tls.js";

export interface GitHttpsServer {
  port: number;
  caFile: string;
  /** Authorization headers of every request, in order ("" when none). */
  authorizations: string[];
  close(): Promise<void>;
}

export async function startGitHttps(opts: {
  token: string;
  files: Record<string, string>;
}): Promise<GitHttpsServer> {
  const { caFile, key, cert } = testCertificates();
  const root = mkdtempSync(join(tmpdir(), "ballador-git-https-"));
  const g = (args: string[], cwd: string) =>
    execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@t", ...args], { cwd, stdio: "pipe" });
  const work = join(root, "work");
  g(["init", "-q", "-b", "main", work], root);
  for (const [name, text] of Object.entries(opts.files)) writeFileSync(join(work, name), text);
  g(["add", "-A"], work);
  g(["commit", "-qm", "first"], work);
  g(["clone", "-q", "--bare", work, join(root, "repo.git")], root);

  const authorizations: string[] = [];
  const server = https.createServer({ key, cert }, (req, res) => {
    const auth = req.headers.authorization ?? "";
    authorizations.push(auth);
    if (auth !== `Bearer ${opts.token}`) {
      res.writeHead(401, { "www-authenticate": 'Basic realm="test"', "content-type": "text/plain" });
      res.end("no\n");
      return;
    }
    const url = new URL(req.url ?? "/", "https://x");
    const cgi = spawn("git", ["http-backend"], {
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        GIT_PROJECT_ROOT: root,
        GIT_HTTP_EXPORT_ALL: "1",
        REQUEST_METHOD: req.method ?? "GET",
        PATH_INFO: decodeURIComponent(url.pathname),
        QUERY_STRING: url.search.slice(1),
        CONTENT_TYPE: req.headers["content-type"] ?? "",
        ...(req.headers["content-encoding"]
          ? { HTTP_CONTENT_ENCODING: req.headers["content-encoding"] }
          : {}),
        ...(req.headers["git-protocol"] ? { GIT_PROTOCOL: String(req.headers["git-protocol"]) } : {}),
        REMOTE_ADDR: "127.0.0.1",
      },
      stdio: ["pipe", "pipe", "ignore"],
    });
    req.pipe(cgi.stdin);
    const out: Buffer[] = [];
    cgi.stdout.on("data", (c: Buffer) => out.push(c));
    cgi.on("close", () => {
      // CGI output: headers, a blank line, the body.
      const all = Buffer.concat(out);
      const crlf = all.indexOf("\r\n\r\n");
      const lf = all.indexOf("\n\n");
      const [end, sep] = crlf >= 0 && (lf < 0 || crlf < lf) ? [crlf, 4] : [lf, 2];
      const head = all.subarray(0, Math.max(end, 0)).toString("utf8");
      const headers: Record<string, string> = {};
      let status = 200;
      for (const l of head.split(/\r?\n/)) {
        const i = l.indexOf(":");
        if (i < 0) continue;
        const name = l.slice(0, i).trim().toLowerCase();
        const value = l.slice(i + 1).trim();
        if (name === "status") status = Number.parseInt(value, 10);
        else headers[name] = value;
      }
      res.writeHead(status, headers);
      res.end(end >= 0 ? all.subarray(end + sep) : all);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    caFile,
    authorizations,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          rmSync(root, { recursive: true, force: true });
          resolve();
        });
      }),
  };
}
