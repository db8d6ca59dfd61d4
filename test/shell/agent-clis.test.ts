/**
 * scripts/install-agent-clis.mjs: the agent CLIs' on-demand install (issue 31). The real install
 * downloads about 2.8 GB from the registry, and tests reach no network: `npm` here is a stand-in
 * on PATH that records its call, prints what npm prints on this machine (EBADENGINE for Claude
 * Code, Qwen Code, Cline) and leaves the eleven commands in node_modules/.bin. Everything else is the real script.
 */
import { existsSync, readFileSync } from "node:fs";
import { chmod, mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { cleanupTempDirs, makeTempDir, PACKAGE_ROOT, runProgram } from "../helpers/cli.js";

afterEach(cleanupTempDirs);

const SCRIPT = join(PACKAGE_ROOT, "scripts", "install-agent-clis.mjs");

const FAKE_NPM = `#!/bin/sh
echo "$PWD $*" >> "$FAKE_NPM_LOG"
cat >&2 <<'EOF'
npm warn EBADENGINE Unsupported engine {
npm warn EBADENGINE   package: '@anthropic-ai/claude-code@2.1.330',
npm warn EBADENGINE   required: { node: '>=22.0.0' },
npm warn EBADENGINE   current: { node: 'v20.20.2', npm: '11.19.1' }
npm warn EBADENGINE }
npm warn EBADENGINE Unsupported engine {
npm warn EBADENGINE   package: '@qwen-code/qwen-code@0.24.4',
npm warn EBADENGINE   required: { node: '>=22.0.0' },
npm warn EBADENGINE   current: { node: 'v20.20.2', npm: '11.19.1' }
npm warn EBADENGINE }
npm warn EBADENGINE Unsupported engine {
npm warn EBADENGINE   package: '@cline/core@0.0.86',
npm warn EBADENGINE   required: { node: '>=22' },
npm warn EBADENGINE   current: { node: 'v20.20.2', npm: '11.19.1' }
npm warn EBADENGINE }
npm warn EBADENGINE Unsupported engine {
npm warn EBADENGINE   package: 'opossum@10.0.0',
npm warn EBADENGINE   required: { node: '^26 || ^24 || ^22' },
npm warn EBADENGINE   current: { node: 'v20.20.2', npm: '11.19.1' }
npm warn EBADENGINE }
npm warn EBADENGINE Unsupported engine {
npm warn EBADENGINE   package: 'something-else@1.0.0',
npm warn EBADENGINE   required: { node: '>=99' },
npm warn EBADENGINE   current: { node: 'v20.20.2', npm: '11.19.1' }
npm warn EBADENGINE }
EOF
sleep 1.5
mkdir -p node_modules/.bin
for b in claude codex gemini opencode copilot qwen pi cline kilo droid auggie amp; do printf '#!/bin/sh\\n' > node_modules/.bin/$b; chmod +x node_modules/.bin/$b; done
echo "added 31 packages in 2s"
`;

async function setUp() {
  const tmp = await makeTempDir("bl-agent-clis-");
  await mkdir(join(tmp, "bin"));
  await writeFile(join(tmp, "bin", "npm"), FAKE_NPM);
  await chmod(join(tmp, "bin", "npm"), 0o755);
  const log = join(tmp, "npm.log");
  const dest = join(tmp, "cache", "agent-clis");
  const env = {
    PATH: `${join(tmp, "bin")}:${process.env.PATH ?? ""}`,
    HOME: tmp,
    FAKE_NPM_LOG: log,
    BALLADOR_AGENT_CLIS_DIR: dest,
    BALLADOR_PROGRESS_EVERY_MS: "400",
  };
  const run = (args: string[] = []) =>
    runProgram(process.execPath, [SCRIPT, ...args], { cwd: tmp, env, timeoutMs: 60_000 });
  const npmCalls = () => (existsSync(log) ? readFileSync(log, "utf8").split("\n").filter(Boolean) : []);
  return { tmp, dest, run, npmCalls };
}

describe("installing the agent CLIs on demand", () => {
  it("says what it installs and why, shows progress, explains Claude Code's EBADENGINE, and installs the pins", async () => {
    const { dest, run, npmCalls } = await setUp();
    const r = await run();
    expect(r.code, r.stderr).toBe(0);
    const pins = JSON.parse(
      readFileSync(join(PACKAGE_ROOT, "test", "agent-clis", "package.json"), "utf8"),
    ) as {
      dependencies: Record<string, string>;
    };
    // Why, and each CLI with its pinned version and the tests that use it.
    expect(r.stderr).toMatch(/agent CLIs: installing the real agent CLIs for the tests that drive them/);
    const lines = r.stderr.split("\n");
    for (const [name, version] of Object.entries(pins.dependencies)) {
      // A platform package (Kilo's, Droid's binary) is named on its launcher's line.
      const platform = /-linux-x64$/.test(name);
      const line = lines.find((l) =>
        platform
          ? l.includes(` with ${name} ${version} (\``)
          : l.startsWith(`agent CLIs:   ${name} ${version}`),
      );
      expect(line, name).toMatch(/\): test\/agents\/\S+/);
    }
    expect(r.stderr).toMatch(/agent CLIs: still installing: \d+ s, \d+ MB so far/);
    // Claude Code's engine warning is expected and said so in one line, the others asking for
    // Node 22 (Cline's packages, Pi's dependencies) in one more; any other passes through.
    expect(r.stderr).toContain("npm's EBADENGINE warning for Claude Code is expected");
    expect(r.stderr).not.toContain("'@anthropic-ai/claude-code@2.1.330'");
    expect(r.stderr).toContain(
      "agent CLIs: npm's EBADENGINE warnings for @cline/core@0.0.86, @qwen-code/qwen-code@0.24.4, opossum@10.0.0 are expected",
    );
    expect(r.stderr).not.toContain("package: '@cline/core@0.0.86'");
    expect(r.stderr).not.toContain("package: '@qwen-code/qwen-code@0.24.4'");
    expect(r.stderr).toContain("npm warn EBADENGINE   package: 'something-else@1.0.0',");
    expect(r.stderr).toMatch(/agent CLIs: installed in \d+ s/);
    // npm ran in the cache, from the pinned manifest and lock.
    expect(npmCalls()).toEqual([`${dest} install --no-audit --no-fund --no-update-notifier`]);
    expect(readFileSync(join(dest, "package-lock.json"), "utf8")).toBe(
      readFileSync(join(PACKAGE_ROOT, "test", "agent-clis", "package-lock.json"), "utf8"),
    );
    for (const b of [
      "claude",
      "codex",
      "gemini",
      "opencode",
      "pi",
      "cline",
      "kilo",
      "droid",
      "auggie",
      "amp",
    ])
      expect(existsSync(join(dest, "node_modules", ".bin", b)), b).toBe(true);
    expect(existsSync(`${dest}.lock`)).toBe(false);
  });

  it("is idempotent: current pins install nothing (--quiet: say nothing); a missing command reinstalls", async () => {
    const { dest, run, npmCalls } = await setUp();
    expect((await run()).code).toBe(0);
    const again = await run();
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/agent CLIs: the pinned versions are already in /);
    const quiet = await run(["--quiet"]);
    expect(quiet).toMatchObject({ code: 0, stderr: "" });
    expect(npmCalls()).toHaveLength(1);
    await rm(join(dest, "node_modules", ".bin", "codex"));
    expect((await run(["--quiet"])).code).toBe(0);
    expect(npmCalls()).toHaveLength(2);
  });

  it("two test workers asking at once: one installs, the other waits for it", async () => {
    const { run, npmCalls } = await setUp();
    const [a, b] = await Promise.all([run(["--quiet"]), run(["--quiet"])]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    expect(npmCalls()).toHaveLength(1);
    expect(`${a.stderr}${b.stderr}`).toMatch(/agent CLIs: waiting for another install of them \(pid \d+\)/);
  });

  it("a failed npm install fails loudly, names the retry, and leaves no stamp", async () => {
    const { tmp, dest, run } = await setUp();
    await writeFile(join(tmp, "bin", "npm"), "#!/bin/sh\necho 'npm error 404 Not Found' >&2\nexit 1\n");
    const r = await run(["--quiet"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("npm error 404 Not Found");
    expect(r.stderr).toMatch(/agent CLIs: failed: npm install exited 1/);
    expect(r.stderr).toContain("node scripts/install-agent-clis.mjs");
    expect(existsSync(join(dest, "installed.json"))).toBe(false);
  });
});
