/**
 * A remote run's masked secrets across a reopen of home's relay (spec 0013, "Masked secrets on a
 * runner"): home is killed mid-run (its relay, kill -9), the next command reconciles and reopens
 * the relay, and the agent on the runner, which keeps the stand-ins it was given first, still
 * gets its requests through with the real value put in at home: the reopened relay's proxy
 * signs with the run's same CA and holds the same stand-ins (derived, not drawn). The value is
 * still on no disk of the runner and in nothing the agent wrote.
 */
import { describe, expect, it } from "vitest";
import { FILE_TOKEN, remoteSecretProject, VARIABLE_AND_FILE } from "../helpers/remote-secret-project.js";
import { HAVE_RUNNER_HOSTS } from "../helpers/runner-hosts.js";
import { filesHolding, filesOwnedBy } from "../helpers/runner-leaks.js";
import { useRunnerHosts } from "../helpers/runner-project.js";
import { type Step, waitFor } from "../helpers/runtime.js";
import {
  cleanupSandboxTests,
  expectInNoFile,
  leakPlaces,
  sessionLog,
  startHttpsHost,
  uniqueValue,
} from "../helpers/sandbox.js";

interface Seen {
  path: string;
  authorization: string;
}

describe.skipIf(!HAVE_RUNNER_HOSTS)("masked secrets across a reopened relay (spec 0013)", () => {
  const hosts = useRunnerHosts([{ name: "r1" }], cleanupSandboxTests);

  it("the agent's first stand-ins are injected again after home's relay is killed and reopened", async () => {
    const h = hosts.hosts[0]!;
    const real = uniqueValue("tok-");
    const realFile = uniqueValue("file-tok-");
    const wanted: Record<string, string> = { "/before": real, "/before-file": realFile };
    const after: Record<string, string> = { "/after": real, "/after-file": realFile };
    const before: Seen[] = [];
    const reopenedSeen: Seen[] = [];
    let reopened = false;
    // The secret's host, at home: 200 only for the real value; requests made before the test
    // has reopened the relay are turned away unrecorded (the agent tries again).
    const tls = await startHttpsHost(({ req, url }, res) => {
      const seen = { path: url, authorization: req.headers.authorization ?? "" };
      const expected = wanted[url] ?? (reopened ? after[url] : undefined);
      if (url in wanted) before.push(seen);
      else if (url in after && reopened) reopenedSeen.push(seen);
      const ok = expected !== undefined && seen.authorization === `Bearer ${expected}`;
      res.writeHead(ok ? 200 : expected === undefined ? 503 : 401, { "content-type": "text/plain" });
      res.end(ok ? "ok\n" : "no\n");
    });
    const p = await remoteSecretProject(hosts, VARIABLE_AND_FILE);

    const url = `https://127.0.0.1:${tls.port}`;
    const fileToken = `$(${FILE_TOKEN})`;
    const both = (suffix: string) =>
      `curl -sS --fail --max-time 10 -H "Authorization: Bearer $API_TOKEN" '${url}/${suffix}' >> got.txt && ` +
      `curl -sS --fail --max-time 10 -H "Authorization: Bearer ${fileToken}" '${url}/${suffix}-file' >> got.txt`;
    const steps: Step[] = [
      { run: 'printf "%s\\n" "$API_TOKEN" > standin.txt' },
      { run: both("before") },
      // The same process, the same stand-ins: tried until home answers again (or 4 minutes).
      {
        run: `i=0; until ${both("after")}; do i=$((i+1)); [ $i -lt 200 ] || exit 1; sleep 1; done`,
      },
      { run: 'printf "%s\\n" "$API_TOKEN" >> standin.txt && env > env-dump.txt' },
      { commit: "used the secret across a reopen" },
      { done: "used" },
    ];
    await p.part("reopen", { steps });
    await p.ok(["queue"]);
    const env = { API_TOKEN: real, TOKEN_JSON: `{"token": "${realFile}"}`, NODE_EXTRA_CA_CERTS: tls.caFile };
    const launched = await p.run(["launch", "reopen", "--on", "r1"], { env });
    expect(launched.code, launched.stdout + launched.stderr).toBe(0);
    await waitFor(
      async () => before.filter((s) => s.authorization.startsWith("Bearer ")).length >= 2 || undefined,
      "the agent's first requests with its stand-ins",
      120_000,
    );
    expect(before.map((s) => s.authorization).sort()).toEqual(
      [`Bearer ${real}`, `Bearer ${realFile}`].sort(),
    );

    // Home's relay killed -9 mid-run; the next command reconciles and reopens it.
    const run = (await p.show("reopen")).runs.at(-1) as unknown as { supervisorPid: number | null };
    expect(run.supervisorPid).toBeGreaterThan(0);
    process.kill(run.supervisorPid as number, "SIGKILL");
    await waitFor(
      async () => !(await p.sessions()).includes("bl-reopen") || undefined,
      "the relay's session to close",
      30_000,
    );
    const repaired = await p.run(["launch", "--json"], { env });
    expect(repaired.code, repaired.stdout + repaired.stderr).toBe(0);
    reopened = true;
    // The agent's next try through the reopened relay: its first stand-in, the real value put in.
    const next = await waitFor(
      async () => reopenedSeen.find((s) => s.path === "/after"),
      "the agent's request through the reopened relay",
      200_000,
    );
    expect(next.authorization).toBe(`Bearer ${real}`);

    const t = await p.waitState("reopen", ["review", "failed"], 300_000);
    expect(t.state, `${t.reason}\n${await sessionLog(p, "reopen")}`).toBe("review");
    // After the reopen the host got the real values for the agent's first stand-ins.
    expect(reopenedSeen.length).toBeGreaterThanOrEqual(2);
    expect(reopenedSeen.find((s) => s.path === "/after")?.authorization).toBe(`Bearer ${real}`);
    expect(reopenedSeen.find((s) => s.path === "/after-file")?.authorization).toBe(`Bearer ${realFile}`);
    const standIns = (await p.git(["show", "ballador/reopen:standin.txt"])).trim().split("\n");
    expect(standIns.length).toBe(2);
    expect(standIns[0]).toMatch(/^fake_value_/);
    expect(standIns[1]).toBe(standIns[0]);

    // The value is still on no disk of the runner, nor in anything the agent wrote.
    expect(filesHolding(filesOwnedBy(h.user), [real, realFile])).toEqual([]);
    await expectInNoFile(real, leakPlaces(p), "the real value");
    await expectInNoFile(realFile, leakPlaces(p), "the file's real token");
    const history = await p.git(["log", "-p", "--all"]);
    expect(history).not.toContain(real);
    expect(history).not.toContain(realFile);
  }, 600_000);
});
