import { describe, expect, it } from "vitest";
import { everyHost, sandboxWeakenings, writeWeakening } from "../../src/core/sandbox-weakening.js";

const HOME = "/home/p";
const ROOT = "/home/p/src/app";

describe("sandbox weakening (issue 29)", () => {
  it("names writable folders that cover /, HOME or a credentials folder", () => {
    expect(writeWeakening("/", HOME, ROOT)).toMatch(/whole filesystem/);
    expect(writeWeakening("/home", HOME, ROOT)).toMatch(/HOME/);
    expect(writeWeakening("~", HOME, ROOT)).toMatch(/HOME/);
    expect(writeWeakening("~/", HOME, ROOT)).toMatch(/HOME/);
    expect(writeWeakening("/home/p/../p", HOME, ROOT)).toMatch(/HOME/);
    expect(writeWeakening("~/.ssh", HOME, ROOT)).toMatch(/~\/\.ssh/);
    expect(writeWeakening("~/.ssh/", HOME, ROOT)).toMatch(/~\/\.ssh/);
    expect(writeWeakening("/home/p/.aws/cli", HOME, ROOT)).toMatch(/~\/\.aws/);
    expect(writeWeakening("~/.config", HOME, ROOT)).toMatch(/~\/\.config\/gh/);
    expect(writeWeakening("../../..", HOME, ROOT)).toMatch(/HOME/);
  });
  it("leaves ordinary folders alone", () => {
    for (const ok of ["/tmp", "~/.cache/pip", "build", "/home/p/src/app/out", "~/.sshx", "/var/tmp"])
      expect(writeWeakening(ok, HOME, ROOT), ok).toBeNull();
  });
  it("names host lists that let every host through", () => {
    for (const bad of ["*", "*.com", "*:443", " * "]) expect(everyHost(bad), bad).toBe(true);
    for (const ok of ["*.npmjs.org", "registry.npmjs.org", "localhost"])
      expect(everyHost(ok), ok).toBe(false);
  });
  it("checks the sandbox and every profile; a profile's ~ is the run's own HOME", () => {
    const found = sandboxWeakenings({
      sandbox: { allow_write: ["/tmp", "/"], allow_hosts: ["*"] },
      profiles: { a: { writable: ["~/.claude", "/home/p"], allow_hosts: ["*.org", "x.test"] } },
      home: HOME,
      repoRoot: ROOT,
    });
    expect(found.map((w) => w.key)).toEqual([
      "sandbox.allow_write.1",
      "sandbox.allow_hosts.0",
      "agents.profiles.a.writable.1",
      "agents.profiles.a.allow_hosts.0",
    ]);
  });
});
