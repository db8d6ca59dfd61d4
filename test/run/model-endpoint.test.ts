/** The base-URL check launch and doctor share: which hosts the sandbox would refuse, and the line to add. */
import { describe, expect, it } from "vitest";
import { hostAllowed, hostOf, modelEndpointProblems } from "../../src/run/model-endpoint.js";

const profile = (env: string[], allowHosts: string[] = []) => ({
  name: "local",
  preset: "codex",
  env,
  secrets: {},
  allowHosts,
});
const bwrap = (allow_hosts: string[]) => ({
  sandbox: { mode: "bwrap" as const, allow_hosts, allow_write: [], deny_read: [] },
});

describe("model endpoints", () => {
  it("reads hosts from URLs and bare host:port values", () => {
    expect(hostOf("http://127.0.0.1:11434/v1")).toBe("127.0.0.1");
    expect(hostOf("localhost:11434")).toBe("localhost");
    expect(hostOf("http://[::1]:4000")).toBe("::1");
    expect(hostOf("http://")).toBeNull();
    expect(hostAllowed("api.example.com", ["*.example.com"])).toBe(true);
    expect(hostAllowed("example.com", ["*.example.com"])).toBe(false);
    expect(hostAllowed("127.0.0.1", ["127.0.0.1"])).toBe(true);
  });

  it("a loopback gateway not on the allowlist is named with the line; listed, it is fine; sandbox off, nothing", () => {
    const env = { OPENAI_BASE_URL: "http://127.0.0.1:4000/v1" };
    const [p] = modelEndpointProblems(bwrap(["registry.npmjs.org"]), profile(["OPENAI_BASE_URL"]), env);
    expect(p).toMatchObject({
      variable: "OPENAI_BASE_URL",
      host: "127.0.0.1",
      kind: "not-allowed",
      loopback: true,
    });
    expect(p?.fix).toBe(
      'add to .ballador/config.yaml: sandbox.allow_hosts: ["127.0.0.1"] (or agents.profiles.local.allow_hosts: ["127.0.0.1"])',
    );
    expect(modelEndpointProblems(bwrap(["127.0.0.1"]), profile(["OPENAI_BASE_URL"]), env)).toEqual([]);
    expect(modelEndpointProblems(bwrap([]), profile(["OPENAI_BASE_URL"], ["127.0.0.1"]), env)).toEqual([]);
    expect(
      modelEndpointProblems(
        { sandbox: { ...bwrap([]).sandbox, mode: "none" } },
        profile(["OPENAI_BASE_URL"]),
        env,
      ),
    ).toEqual([]);
  });

  it("a base URL given as a secret is checked by its source; one not passed is named when the agent reads it", () => {
    const viaSecret = { ...profile([]), secrets: { OPENAI_BASE_URL: { env: "MY_GATEWAY" } } };
    const [p] = modelEndpointProblems(bwrap([]), viaSecret, { MY_GATEWAY: "http://10.0.0.5:4000" });
    expect(p).toMatchObject({ kind: "not-allowed", host: "10.0.0.5", loopback: false });
    const [q] = modelEndpointProblems(bwrap([]), profile([]), {
      OPENAI_BASE_URL: "http://127.0.0.1:4000/v1",
    });
    expect(q).toMatchObject({ kind: "not-passed", fix: "add OPENAI_BASE_URL to agents.profiles.local.env" });
    // Codex does not read ANTHROPIC_BASE_URL: not its business.
    expect(
      modelEndpointProblems(bwrap([]), profile([]), { ANTHROPIC_BASE_URL: "http://127.0.0.1:1" }),
    ).toEqual([]);
  });
});
