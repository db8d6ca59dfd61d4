/**
 * The network side of the sandbox: no direct network, a host-side proxy that lets listed hosts
 * through (here a server the test runs on 127.0.0.1) and refuses the rest, and a record of every
 * refusal that `ballador sandbox denials` and `status` report, with the line that would allow it.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  agentSteps,
  cleanupSandboxTests,
  launchToReview,
  makeSandboxProject,
  sessionLog,
  startServer,
} from "../helpers/sandbox.js";

afterEach(cleanupSandboxTests);

interface DenialsJson {
  runs: Array<{
    task: string;
    run: string;
    profile: string;
    denials: Array<{ host: string; port: number | null; at: string; count: number }>;
  }>;
  suggestions: Array<{ host: string; profiles: string[]; global: string; perProfile: string[] }>;
}

describe("sandbox: network", () => {
  it("an allowlisted loopback host is reached through the proxy; others are denied, recorded and explained", async () => {
    const server = await startServer();
    const p = await makeSandboxProject({ allowHosts: ["127.0.0.1"] });
    const direct = `require("net").connect(${server.port}, "127.0.0.1").on("connect", () => process.exit(0)).on("error", () => process.exit(1))`;
    await p.part("net", {
      steps: [
        { http: `${server.url}/allowed` },
        { http: { url: "http://blocked.example.test/secret-path", timeout_ms: 5000 }, expect_fail: true },
        // Around the proxy: a direct connection from the sandbox's own network namespace.
        { run: ["node", "-e", direct], expect_fail: true },
        { done: "network checked" },
      ],
    });
    await launchToReview(p, "net");

    // The server saw the allowed request, and nothing else.
    expect(server.paths).toEqual(["/allowed"]);
    const steps = await agentSteps(p, "net");
    expect(steps[0]?.detail).toMatch(/status 200,.*via proxy/);
    // The agent was told why: the proxy's refusal, not a timeout.
    expect(steps[1]?.detail).toMatch(/status 403/);

    // The denial is recorded per run, with its host and port, and the fix is suggested.
    const report = await p.json<DenialsJson>(["sandbox", "denials", "net"]);
    expect(report.runs).toHaveLength(1);
    expect(report.runs[0]?.profile).toBe("scripted");
    expect(report.runs[0]?.denials.map((d) => d.host)).toEqual(["blocked.example.test"]);
    expect(report.runs[0]?.denials[0]?.port).toBe(80);
    expect(report.suggestions).toEqual([
      {
        host: "blocked.example.test",
        profiles: ["scripted"],
        global: 'sandbox.allow_hosts: add "blocked.example.test"',
        perProfile: ['agents.profiles.scripted.allow_hosts: add "blocked.example.test"'],
      },
    ]);
    const text = await p.ok(["sandbox", "denials", "net"]);
    expect(text.stdout).toContain("denied blocked.example.test:80");
    expect(text.stdout).toContain('allow_hosts: ["blocked.example.test"]');

    // status shows the task hit denials.
    const status = await p.json<{ tasks: Array<{ id: string; denials: number }> }>(["status"]);
    expect(status.tasks.find((x) => x.id === "net")?.denials).toBeGreaterThan(0);
    expect((await p.ok(["status"])).stdout).toMatch(/net .*\[1 denied\]/);
    expect(await sessionLog(p, "net")).toContain("the sandbox denied 1 request(s): blocked.example.test");
  });

  it("without 127.0.0.1 in the allowlist the host's loopback server is out of reach, and the denial says so", async () => {
    const server = await startServer();
    const p = await makeSandboxProject({ allowHosts: [] });
    await p.part("noloop", {
      steps: [{ http: { url: `${server.url}/nope`, timeout_ms: 5000 }, expect_fail: true }, { done: "ok" }],
    });
    await launchToReview(p, "noloop");
    expect(server.paths).toEqual([]);
  });
});
