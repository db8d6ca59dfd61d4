/**
 * What a person sees of masked secrets without opening a run folder: `show TASK` lists which
 * secrets the task's profile masks (for which hosts) and which it passes, names only; `status`
 * shows a stand-in sent toward a host it is not for apart from requests the allowlist refused.
 */
import { afterEach, describe, expect, it } from "vitest";
import { agentProfiles } from "../helpers/profiles.js";
import {
  cleanupSandboxTests,
  makeSandboxProject,
  maskedSecretProject,
  sessionLog,
  startServer,
  uniqueValue,
} from "../helpers/sandbox.js";

afterEach(cleanupSandboxTests);

const deployer = agentProfiles({
  deployer: {
    preset: "scripted",
    secrets: {
      API_TOKEN: { env: "API_TOKEN", hosts: ["127.0.0.1"] },
      TOOL_LOGIN: { env: "TOOL_LOGIN", hosts: ["127.0.0.1"], at: "~/.config/tool/login" },
      PASS_TOKEN: { env: "PASS_TOKEN", mode: "pass" },
    },
  },
  plain: { preset: "scripted" },
});

describe("masked secrets, as the person sees them", () => {
  it("show TASK lists the secrets its profile masks (for which hosts) and passes, never a value", async () => {
    const p = await makeSandboxProject({ allowHosts: ["127.0.0.1"], config: deployer });
    await p.part("deploy", { steps: [{ done: "ok" }] });
    await p.part("other", { agent: "plain", steps: [{ done: "ok" }] });
    await p.ok(["queue"]);
    const env = {
      API_TOKEN: uniqueValue("tok-"),
      TOOL_LOGIN: uniqueValue("login-"),
      PASS_TOKEN: uniqueValue("pass-"),
    };

    const json = await p.run(["show", "deploy", "--json"], { env });
    expect(json.code, json.stderr).toBe(0);
    expect((JSON.parse(json.stdout) as { secrets: unknown }).secrets).toEqual([
      {
        profile: "deployer",
        masked: [
          { name: "API_TOKEN", hosts: ["127.0.0.1"] },
          { name: "TOOL_LOGIN", hosts: ["127.0.0.1"], at: "~/.config/tool/login" },
        ],
        passed: ["PASS_TOKEN"],
      },
    ]);
    const text = await p.run(["show", "deploy"], { env });
    expect(text.stdout).toContain(
      "secrets of deployer: masked API_TOKEN (for 127.0.0.1), TOOL_LOGIN (for 127.0.0.1; as the file ~/.config/tool/login); passed PASS_TOKEN",
    );
    for (const v of Object.values(env)) expect(json.stdout + text.stdout).not.toContain(v);

    // A profile without secrets says nothing about them.
    const other = await p.run(["show", "other", "--json"]);
    expect((JSON.parse(other.stdout) as { secrets: unknown }).secrets).toEqual([]);
    expect((await p.run(["show", "other"])).stdout).not.toContain("secrets of");
  });

  it("status shows a stand-in sent elsewhere apart from a refused request", async () => {
    const plain = await startServer();
    const p = await maskedSecretProject({ API_TOKEN: { env: "API_TOKEN", hosts: ["127.0.0.1"] } });
    await p.part("leak", {
      steps: [
        // The secret's host, over plain http: it gets the stand-in, and that is recorded.
        {
          run: `curl -sS --fail --max-time 20 -H "Authorization: Bearer $API_TOKEN" '${plain.url}/plain' >/dev/null`,
        },
        // A host the allowlist does not name: refused.
        { run: "curl -sS --fail --max-time 20 http://denied.example/ >/dev/null", expect_fail: true },
        { done: "tried" },
      ],
    });
    await p.ok(["queue"]);
    await p.run(["launch"], { env: { API_TOKEN: uniqueValue("tok-") } });
    const t = await p.waitState("leak", ["review", "failed"], 90_000);
    expect(t.state, `${t.reason}\n${await sessionLog(p, "leak")}`).toBe("review");
    expect(plain.paths).toEqual(["/plain"]);

    const status = await p.json<{ tasks: Array<{ id: string; denials: number; standIns: number }> }>([
      "status",
    ]);
    expect(status.tasks.find((x) => x.id === "leak")).toMatchObject({ denials: 1, standIns: 1 });
    const text = (await p.ok(["status"])).stdout;
    expect(text).toContain("[1 denied]");
    expect(text).toContain("[1 stand-in sent elsewhere]");
  }, 150_000);
});
