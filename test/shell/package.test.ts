/**
 * Packaging (issue 14): the tarball `npm pack` makes installs into a fresh prefix and works from
 * there: --version, init, doctor and demo, with nothing borrowed from this source tree.
 *
 * Offline-friendly: dependencies come from the npm cache this project's own install filled
 * (--prefer-offline). better-sqlite3 has no reachable prebuilt binary and compiles from source in
 * about two minutes, so its install script is skipped and the binary this checkout already built
 * for the same version and the same Node is copied in; a different version is rebuilt for real.
 */
import { copyFileSync, existsSync, readFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { afterAll, describe, expect, it } from "vitest";
import { cleanupTempDirs, GIT_IDENTITY, git, makeTempDir, PACKAGE_ROOT, runProgram } from "../helpers/cli.js";
import { SPEC_SECTIONS } from "../helpers/specs.js";

afterAll(cleanupTempDirs);

const NATIVE = join("node_modules", "better-sqlite3", "build", "Release", "better_sqlite3.node");
const version = (dir: string) =>
  (
    JSON.parse(readFileSync(join(dir, "node_modules", "better-sqlite3", "package.json"), "utf8")) as {
      version: string;
    }
  ).version;

const schema = (name: string) =>
  new Ajv2020({ strict: false }).compile(
    JSON.parse(readFileSync(join(PACKAGE_ROOT, "schemas", "cli", `${name}.schema.json`), "utf8")),
  );

describe("the npm package", () => {
  it("installs from its tarball into a fresh prefix and runs --version, init, doctor and demo", async () => {
    const tmp = await makeTempDir("bl-pack-");
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...GIT_IDENTITY,
      NO_COLOR: "1",
      npm_config_update_notifier: "false",
    };
    for (const k of Object.keys(env)) if (k.startsWith("BALLADOR_")) delete env[k];
    // --ignore-scripts: prepack would rebuild dist/ in place while the other test files run the
    // CLI from it (tsc rewrites each module, and a process importing it meanwhile sees half a
    // module). The suite's global setup has just built it.
    const pack = await runProgram("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", tmp], {
      cwd: PACKAGE_ROOT,
      env,
      timeoutMs: 120_000,
    });
    expect(pack.code, pack.stderr).toBe(0);
    const [packed] = JSON.parse(pack.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
    const { filename, files } = packed as NonNullable<typeof packed>;
    const paths = files.map((f) => f.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        "LICENSE",
        "README.md",
        "bin/ballador.js",
        "schemas/config.schema.json",
        // man ballador, linked into the prefix's share/man by npm install -g (checked below).
        "man/ballador.1",
        // The bundle the launchers load (the demo below runs from it: CLI, supervisor, agent).
        "dist/bundle/cli.js",
        "dist/bundle/supervisor.js",
        "dist/bundle/scripted-agent.js",
        // `status --json` and `next --json` without the command tree (bin/ballador.js).
        "dist/bundle/read-fast.js",
      ]),
    );
    expect(paths.filter((p) => p.startsWith("src/") || p.startsWith("test/"))).toEqual([]);

    const prefix = join(tmp, "prefix");
    const install = await runProgram(
      "npm",
      [
        "install",
        "-g",
        "--prefix",
        prefix,
        join(tmp, filename),
        "--prefer-offline",
        "--no-audit",
        "--no-fund",
        "--ignore-scripts",
      ],
      { cwd: tmp, env, timeoutMs: 300_000 },
    );
    expect(install.code, install.stderr).toBe(0);
    const installed = join(prefix, "lib", "node_modules", "ballador");
    // `man ballador` finds the page: npm links package.json "man" into the prefix's share/man.
    expect(existsSync(join(prefix, "share", "man", "man1", "ballador.1"))).toBe(true);
    if (version(installed) === version(PACKAGE_ROOT) && existsSync(join(PACKAGE_ROOT, NATIVE))) {
      await mkdir(join(installed, NATIVE, ".."), { recursive: true });
      copyFileSync(join(PACKAGE_ROOT, NATIVE), join(installed, NATIVE));
    } else {
      const rebuild = await runProgram("npm", ["rebuild", "better-sqlite3"], {
        cwd: installed,
        env,
        timeoutMs: 400_000,
      });
      expect(rebuild.code, rebuild.stderr).toBe(0);
    }

    const bin = join(prefix, "bin", "ballador");
    const run = (args: string[], cwd: string, timeoutMs = 60_000) =>
      runProgram(bin, args, { cwd, env: { ...env, PATH: `${join(prefix, "bin")}:${env.PATH}` }, timeoutMs });
    const pkg = JSON.parse(readFileSync(join(PACKAGE_ROOT, "package.json"), "utf8")) as { version: string };
    expect((await run(["--version"], tmp)).stdout.trim()).toBe(pkg.version);

    const repo = join(tmp, "repo");
    await mkdir(repo);
    await git(["init", "-q", "-b", "main"], repo);
    await git(["commit", "-q", "--allow-empty", "-m", "initial"], repo);
    const init = await run(["init", "--json"], repo);
    expect(init.code, init.stderr).toBe(0);
    expect(schema("init")(JSON.parse(init.stdout))).toBe(true);
    expect(existsSync(join(repo, ".ballador", "config.schema.json"))).toBe(true);

    // No agent CLI on this PATH: doctor names the problem (exit 1) in a valid document.
    const doctor = await run(["doctor", "--json"], repo);
    expect([0, 1]).toContain(doctor.code);
    const checks = JSON.parse(doctor.stdout) as { checks: Array<{ name: string; ok: boolean }> };
    expect(schema("doctor")(checks)).toBe(true);
    expect(checks.checks.find((c) => c.name === "config")?.ok).toBe(true);

    const demoDir = join(tmp, "demo");
    const demo = await run(["demo", "--json", "--keep", "--dir", demoDir], tmp, 180_000);
    const greeter = join(demoDir, "greeter");
    const socket = /tmux_socket: (\S+)/.exec(
      readFileSync(join(greeter, ".ballador", "config.yaml"), "utf8"),
    )?.[1];
    try {
      expect(demo.code, `${demo.stdout}\n${demo.stderr}`).toBe(0);
      const result = JSON.parse(demo.stdout) as { ok: boolean; states: Record<string, number> };
      expect(schema("demo")(result)).toBe(true);
      expect(result).toMatchObject({ ok: true, states: { review: 4 } });
      // The demo's spec is a living spec, not an empty template: every section is filled in,
      // and the review brief carries its problem and decision.
      const check = await run(["spec", "check", "--json"], greeter);
      expect(JSON.parse(check.stdout)).toEqual({ ok: true, problems: [] });
      const spec = readFileSync(join(greeter, "specs", "0001-greeting-service.md"), "utf8");
      for (const h of SPEC_SECTIONS) {
        expect(spec, h).toMatch(new RegExp(`## ${h}\\n[^<#\\n]`));
      }
      const brief = await run(["review", "greeting-cli", "--no-diff"], greeter);
      expect(brief.stdout).toContain("**Decision.** Option 2.");
    } finally {
      if (socket) await runProgram("tmux", ["-L", socket, "kill-server"], { cwd: tmp, env });
    }
  }, 600_000);
});
