import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ConfigError } from "../../src/config/errors.js";
import { globalConfigPath, loadConfig } from "../../src/config/load.js";
import { DEFAULT_CONFIG } from "../../src/config/schema.js";
import { renderDefaultConfig } from "../../src/config/template.js";
import { cleanupTempDirs } from "../helpers/cli.js";
import { configDirs, problemsOf } from "./config-dirs.js";

let root: string; // the "repository"
let env: NodeJS.ProcessEnv;
let repoFile: string;
let globalFile: string;

beforeEach(async () => {
  ({ root, env, repoFile, globalFile } = await configDirs("bl-config-"));
});

afterEach(cleanupTempDirs);

describe("loadConfig layering", () => {
  it("gives the documented defaults when no file exists", () => {
    const { config, sources } = loadConfig(root, env);
    expect(config).toEqual(DEFAULT_CONFIG);
    expect(config.max_parallel).toBe(5);
    expect(config.base).toBe("main");
    expect(sources).toEqual(["defaults"]);
  });

  it("reads the global file from $XDG_CONFIG_HOME, or ~/.config without it", () => {
    expect(globalConfigPath({ XDG_CONFIG_HOME: "/x" })).toBe("/x/ballador/config.yaml");
    expect(globalConfigPath({ HOME: "/home/p" })).toBe("/home/p/.config/ballador/config.yaml");
    expect(globalConfigPath({ HOME: "/home/p", XDG_CONFIG_HOME: "" })).toBe(
      "/home/p/.config/ballador/config.yaml",
    );
  });

  it("layers defaults < global < BALLADOR_* environment < repository", async () => {
    await writeFile(
      globalFile,
      "max_parallel: 7\nmax_attempts: 4\nbranch_prefix: global/\nbase: global-base\nsandbox: { allow_hosts: [global.example] }\n",
    );
    await writeFile(repoFile, "base: repo-base\nsandbox: { mode: none }\n");
    const { config, sources } = loadConfig(root, {
      ...env,
      BALLADOR_MAX_ATTEMPTS: "9",
      BALLADOR_BRANCH_PREFIX: "env/",
      BALLADOR_BASE: "env-base",
      BALLADOR_STACK: "true",
    });
    expect(config.max_parallel).toBe(7); // global over default
    expect(config.max_attempts).toBe(9); // environment over global
    expect(config.branch_prefix).toBe("env/"); // environment over global
    expect(config.stack).toBe(true); // environment over default
    expect(config.base).toBe("repo-base"); // repository over environment and global
    // Mappings merge key by key: the repo set sandbox.mode, the global file allow_hosts.
    expect(config.sandbox.mode).toBe("none");
    expect(config.sandbox.allow_hosts).toEqual(["global.example"]);
    expect(config.sandbox.deny_read).toEqual(DEFAULT_CONFIG.sandbox.deny_read);
    expect(sources).toEqual(["defaults", globalFile, "environment", repoFile]);
  });

  it("lets the repository win over the environment for the sandbox and limits", async () => {
    await writeFile(repoFile, "max_parallel: 2\nstack: false\n");
    const { config } = loadConfig(root, { ...env, BALLADOR_MAX_PARALLEL: "50", BALLADOR_STACK: "1" });
    expect(config.max_parallel).toBe(2);
    expect(config.stack).toBe(false);
  });

  it("uses exactly the repository's profiles when it lists some", async () => {
    await writeFile(globalFile, "agents: { profiles: { extra: { preset: codex } } }\n");
    expect(Object.keys(loadConfig(root, env).config.agents.profiles).sort()).toEqual(["claude", "extra"]);
    await writeFile(repoFile, 'agents: { default: s, profiles: { s: { command: ["true"] } } }\n');
    const { config } = loadConfig(root, env);
    expect(config.agents.default).toBe("s");
    expect(Object.keys(config.agents.profiles)).toEqual(["s"]);
  });

  it("refuses a malformed environment variable, naming it and what was expected", () => {
    const problems = problemsOf(() =>
      loadConfig(root, { ...env, BALLADOR_MAX_PARALLEL: "lots", BALLADOR_STACK: "maybe" }),
    );
    expect(problems).toEqual([
      {
        file: "environment BALLADOR_MAX_PARALLEL",
        key: "max_parallel",
        message: 'expected a whole number, got "lots"',
      },
      { file: "environment BALLADOR_STACK", key: "stack", message: 'expected true or false, got "maybe"' },
    ]);
  });

  it("accepts the commented file that init writes, with the defaults it documents", async () => {
    await writeFile(repoFile, renderDefaultConfig({ base: "trunk", detectedAgents: [], verify: null }));
    const { config } = loadConfig(root, env);
    expect(config).toEqual({ ...DEFAULT_CONFIG, base: "trunk" });
    await writeFile(
      repoFile,
      renderDefaultConfig({ base: "main", detectedAgents: ["codex", "claude"], verify: "./verify.sh" }),
    );
    const second = loadConfig(root, env).config;
    expect(second.agents.default).toBe("codex");
    expect(Object.keys(second.agents.profiles)).toEqual(["codex", "claude"]);
    expect(second.verify).toBe("./verify.sh");
  });
});

describe("loadConfig errors", () => {
  it("names the file, the key path and a suggestion for an unknown key", async () => {
    await writeFile(repoFile, "max_paralel: 3\n");
    const [p, ...rest] = problemsOf(() => loadConfig(root, env));
    expect(rest).toEqual([]);
    expect(p?.file).toBe(repoFile);
    expect(p?.key).toBe("max_paralel");
    expect(p?.message).toContain('did you mean "max_parallel"?');
  });

  it("names the full key path of a nested unknown key, in the global file too", async () => {
    await writeFile(globalFile, "agents:\n  profiles:\n    fast:\n      preset: claude\n      comand: [x]\n");
    const [p] = problemsOf(() => loadConfig(root, env));
    expect(p).toMatchObject({ file: globalFile, key: "agents.profiles.fast.comand" });
    expect(p?.message).toContain('did you mean "command"?');
    expect(p?.message).toContain("known keys here: preset, command");
  });

  it("reports an unknown key with no near match by listing the known keys", async () => {
    await writeFile(repoFile, "sandbox:\n  firewall: true\n");
    const [p] = problemsOf(() => loadConfig(root, env));
    expect(p?.key).toBe("sandbox.firewall");
    expect(p?.message).not.toContain("did you mean");
    expect(p?.message).toContain("known keys here: mode, allow_hosts, allow_write, deny_read");
  });

  it("names what was expected for a wrongly typed value, and what was found", async () => {
    await writeFile(repoFile, "max_parallel: five\nstack: yes\nbootstrap: npm ci\nsandbox: { mode: off }\n");
    const problems = problemsOf(() => loadConfig(root, env));
    const byKey = new Map(problems.map((p) => [p.key, p.message]));
    expect(byKey.get("max_parallel")).toBe('expected number, got string "five"');
    expect(byKey.get("stack")).toBe('expected boolean, got string "yes"');
    expect(byKey.get("bootstrap")).toBe('expected array, got string "npm ci"');
    expect(byKey.get("sandbox.mode")).toBe('expected one of "bwrap", "none"');
    expect(problems.every((p) => p.file === repoFile)).toBe(true);
    expect(problems).toHaveLength(4);
  });

  it("refuses values out of range", async () => {
    await writeFile(repoFile, 'max_parallel: 0\nrun_timeout: "soon"\n');
    const keys = problemsOf(() => loadConfig(root, env)).map((p) => p.key);
    expect(keys.sort()).toEqual(["max_parallel", "run_timeout"]);
  });

  it("refuses agents.default naming a profile that does not exist, listing those that do", async () => {
    await writeFile(repoFile, "agents: { default: nope }\n");
    const [p] = problemsOf(() => loadConfig(root, env));
    expect(p).toMatchObject({ file: repoFile, key: "agents.default" });
    expect(p?.message).toContain('"nope"');
    expect(p?.message).toContain("defined: claude");
  });

  it("refuses a fallback to a profile that does not exist", async () => {
    await writeFile(
      repoFile,
      'agents:\n  default: s\n  profiles:\n    s: { command: ["true"], fallback: ghost }\n',
    );
    const [p] = problemsOf(() => loadConfig(root, env));
    expect(p).toMatchObject({ file: repoFile, key: "agents.profiles.s.fallback" });
    expect(p?.message).toContain('"ghost"');
  });

  it("refuses a masked secret without hosts, and one without the sandbox, naming the key and the fix", async () => {
    await writeFile(
      repoFile,
      [
        "agents:",
        "  default: s",
        "  profiles:",
        "    s:",
        '      command: ["true"]',
        "      secrets:",
        "        TOKEN: { env: TOKEN, mode: mask }",
        "        OK: { env: OK, hosts: [api.example.com], mode: pass }",
        "",
      ].join("\n"),
    );
    const problems = problemsOf(() => loadConfig(root, env));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ file: repoFile, key: "agents.profiles.s.secrets.TOKEN.hosts" });
    expect(problems[0]?.message).toContain("mode: mask needs hosts");
    expect(problems[0]?.message).toContain("mode: pass");

    await writeFile(
      repoFile,
      'sandbox: { mode: none }\nagents:\n  default: s\n  profiles:\n    s: { command: ["true"], secrets: { TOKEN: { env: TOKEN, hosts: [api.example.com] } } }\n',
    );
    const [none] = problemsOf(() => loadConfig(root, env));
    expect(none).toMatchObject({ file: repoFile, key: "agents.profiles.s.secrets.TOKEN.mode" });
    expect(none?.message).toContain("sandbox.mode is none");
  });

  it("refuses a masked file outside the run's HOME, a pattern without a group, and at on a passed secret", async () => {
    const profile = (secret: string) =>
      `agents:\n  default: s\n  profiles:\n    s: { command: ["true"], secrets: { T: ${secret} } }\n`;
    await writeFile(repoFile, profile("{ file: /k, hosts: [h.example], at: /etc/token }"));
    expect(problemsOf(() => loadConfig(root, env))[0]).toMatchObject({
      key: "agents.profiles.s.secrets.T.at",
      message: expect.stringContaining("inside the run's HOME"),
    });
    await writeFile(repoFile, profile("{ file: /k, hosts: [h.example], at: ~/t, extract: 'token' }"));
    expect(problemsOf(() => loadConfig(root, env))[0]).toMatchObject({
      key: "agents.profiles.s.secrets.T.extract",
      message: expect.stringContaining("needs a group"),
    });
    await writeFile(repoFile, profile("{ file: /k, at: ~/t }"));
    expect(problemsOf(() => loadConfig(root, env))[0]).toMatchObject({
      key: "agents.profiles.s.secrets.T.mode",
      message: expect.stringContaining("needs hosts"),
    });
  });

  it("refuses a masked secret for a host the proxy must not open (sandbox.tls_passthrough)", async () => {
    await writeFile(
      repoFile,
      'sandbox: { tls_passthrough: ["*.pinned.example"] }\nagents:\n  default: s\n  profiles:\n    s: { command: ["true"], secrets: { T: { env: T, hosts: [api.pinned.example] } } }\n',
    );
    const [p] = problemsOf(() => loadConfig(root, env));
    expect(p).toMatchObject({ file: repoFile, key: "agents.profiles.s.secrets.T.hosts" });
    expect(p?.message).toContain('"api.pinned.example" is in sandbox.tls_passthrough');
    expect(p?.message).toContain("mode: pass");
  });

  it("sandbox.upstream_ca: paths resolve (~/, relative to the repository); a missing or non-PEM file is an error naming it, the key and the fix", async () => {
    const pem = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----\n";
    await mkdir(join(root, "certs"), { recursive: true });
    await writeFile(join(root, "certs", "corp.pem"), pem);
    await writeFile(join(env.HOME as string, "home-ca.pem"), `a comment\n${pem}`);
    await writeFile(repoFile, 'sandbox: { upstream_ca: ["certs/corp.pem", "~/home-ca.pem"] }\n');
    expect(loadConfig(root, env).config.sandbox.upstream_ca).toEqual([
      join(root, "certs", "corp.pem"),
      join(env.HOME as string, "home-ca.pem"),
    ]);

    await writeFile(
      join(root, "certs", "key-only.pem"),
      "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
    );
    await writeFile(
      repoFile,
      'sandbox: { upstream_ca: ["certs/corp.pem", "certs/nope.pem", "certs/key-only.pem"] }\n',
    );
    const problems = problemsOf(() => loadConfig(root, env));
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatchObject({ file: repoFile, key: "sandbox.upstream_ca.1" });
    expect(problems[0]?.message).toContain(`cannot read ${join(root, "certs", "nope.pem")} (ENOENT)`);
    expect(problems[0]?.message).toContain("name a PEM file");
    expect(problems[1]).toMatchObject({ file: repoFile, key: "sandbox.upstream_ca.2" });
    expect(problems[1]?.message).toContain("holds no PEM certificate");
    expect(problems[1]?.message).toContain("openssl x509");
  });

  it("masks a secret that names its hosts unless it says mode: pass", async () => {
    await writeFile(
      repoFile,
      'agents:\n  default: s\n  profiles:\n    s: { command: ["true"], secrets: { A: { env: A, hosts: [h.example] }, B: { env: B } } }\n',
    );
    const { config } = loadConfig(root, env);
    const { secretMode } = await import("../../src/core/secrets.js");
    const secrets = config.agents.profiles.s?.secrets ?? {};
    expect(secretMode(secrets.A ?? { env: "A" })).toBe("mask");
    expect(secretMode(secrets.B ?? { env: "B" })).toBe("pass");
  });

  it("refuses a profile with neither preset nor command", async () => {
    await writeFile(repoFile, "agents:\n  default: s\n  profiles:\n    s: { prompt: file }\n");
    const [p] = problemsOf(() => loadConfig(root, env));
    expect(p?.key).toBe("agents.profiles.s");
    expect(p?.message).toContain("needs a preset");
  });

  it("reports invalid YAML with the file and the line", async () => {
    await writeFile(repoFile, "base: main\nverify: a: b\nstack: true\n");
    const [p] = problemsOf(() => loadConfig(root, env));
    expect(p?.file).toBe(repoFile);
    expect(p?.message).toMatch(/^line 2: not valid YAML: /);
  });

  it("refuses a file that is not a mapping", async () => {
    await writeFile(repoFile, "- a\n- b\n");
    const [p] = problemsOf(() => loadConfig(root, env));
    expect(p).toMatchObject({ file: repoFile, key: "" });
    expect(p?.message).toContain("expected object");
  });

  it("treats an empty file as no settings", async () => {
    await writeFile(repoFile, "# nothing yet\n");
    expect(loadConfig(root, env).config).toEqual(DEFAULT_CONFIG);
  });

  it("reports problems of every layer together, each with its file", async () => {
    await writeFile(globalFile, "max_paralel: 3\n");
    await writeFile(repoFile, "stak: true\n");
    const err = (() => {
      try {
        loadConfig(root, env);
      } catch (e) {
        return e as ConfigError;
      }
      throw new Error("expected a ConfigError");
    })();
    expect(err.problems.map((p) => [p.file, p.key])).toEqual([
      [globalFile, "max_paralel"],
      [repoFile, "stak"],
    ]);
    // The message a person sees carries both, one per line.
    expect(err.message.split("\n")).toHaveLength(2);
    expect(err.message).toContain(`${repoFile}: stak: unknown key (did you mean "stack"?)`);
  });
});
