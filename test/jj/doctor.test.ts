/**
 * `ballador doctor` in Jujutsu repositories, through the real executable and a real jj (Debian
 * unstable's, from scripts/install-jj.mjs; skipped loudly without it): `vcs` names the tool, the
 * jj version against the stated minimum; a non-colocated repository is recognised (by init too),
 * and one whose git store is elsewhere gets its fix.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { cleanupTempDirs, makeGitRepo, makeTempDir, parseJson, runCli } from "../helpers/cli.js";
import { JJ, JJ_BIN_DIR, jjAvailable } from "../helpers/jj.js";

afterEach(cleanupTempDirs);

interface Check {
  name: string;
  ok: boolean;
  warn?: boolean;
  detail: string;
  fix?: string;
}

const version = jjAvailable();
const PATH = `${JJ_BIN_DIR}:/usr/local/bin:/usr/bin:/bin`;

async function checks(run: (args: string[]) => ReturnType<typeof runCli>): Promise<Record<string, Check>> {
  const list = parseJson<{ checks: Check[] }>(await run(["doctor", "--json"])).checks;
  return Object.fromEntries(list.map((c) => [c.name, c]));
}

describe.skipIf(!version)(`doctor with Jujutsu ${version ?? "(not installed)"}`, () => {
  it("recognises a colocated jj repository, names jj's version, and says runs get jj workspaces (with a sandbox)", async () => {
    const repo = await makeGitRepo();
    execFileSync(JJ, ["git", "init", "--colocate"], {
      cwd: repo.dir,
      env: { ...repo.env, JJ_CONFIG: "/dev/null" },
      stdio: "ignore",
    });
    await repo.write(".ballador/config.yaml", "sandbox:\n  mode: none\n");
    const c = await checks((args) => repo.run(args, { env: { PATH } }));
    expect(c.vcs?.detail).toContain(`Jujutsu ${version}`);
    expect(c.vcs?.detail).toContain("the repository has a .jj folder; colocated with git");
    // sandbox.mode none: a jj run's ref guard is the sandbox's copy of the operation heads.
    expect(c.vcs).toMatchObject({
      ok: false,
      fix: "set sandbox.mode: bwrap (or auto) in .ballador/config.yaml, or set vcs: git",
    });
    await repo.write(".ballador/config.yaml", "sandbox:\n  mode: bwrap\n");
    const sandboxed = await checks((args) => repo.run(args, { env: { PATH } }));
    expect(sandboxed.vcs?.ok).toBe(true);
    expect(sandboxed.vcs?.detail).toContain("each run gets a jj workspace");
  });

  it("vcs: jj without a .jj folder, or without jj on PATH, fails with the fix", async () => {
    const repo = await makeGitRepo();
    await repo.write(".ballador/config.yaml", "vcs: jj\nsandbox:\n  mode: none\n");
    const withJj = await checks((args) => repo.run(args, { env: { PATH } }));
    expect(withJj.vcs).toMatchObject({
      ok: false,
      fix: "run `jj git init --colocate` here, or set vcs: git",
    });
    const noJj = await checks((args) => repo.run(args, { env: { PATH: "/usr/local/bin:/usr/bin:/bin" } }));
    expect(noJj.vcs?.ok).toBe(false);
    expect(noJj.vcs?.detail).toContain("no jj runs on PATH");
    expect(noJj.vcs?.fix).toContain("0.46.0");
  });

  it("a plain git repository keeps git worktrees", async () => {
    const repo = await makeGitRepo();
    await repo.write(".ballador/config.yaml", "sandbox:\n  mode: none\n");
    const c = await checks((args) => repo.run(args, { env: { PATH } }));
    expect(c.vcs).toMatchObject({ ok: true, detail: "git worktrees (default)" });
  });

  it("a non-colocated jj repository (its git store in .jj/repo/store/git) is recognised by init and doctor", async () => {
    const parent = await makeTempDir("bl-jj-");
    const dir = join(parent, "repo");
    await mkdir(dir);
    const env = { PATH, HOME: join(parent, "home"), XDG_CONFIG_HOME: join(parent, "xdg") };
    execFileSync(JJ, ["git", "init", "--no-colocate"], {
      cwd: dir,
      env: { ...process.env, JJ_CONFIG: "/dev/null" },
      stdio: "ignore",
    });
    expect(existsSync(join(dir, ".git"))).toBe(false);
    const init = await runCli(["init", "--json"], { cwd: dir, env });
    expect(init.code, init.stderr).toBe(0);
    const config = await readFile(join(dir, ".ballador", "config.yaml"), "utf8");
    expect(config).toMatch(/^base: main$/m);
    const doctor = async () =>
      Object.fromEntries(
        parseJson<{ checks: Check[] }>(await runCli(["doctor", "--json"], { cwd: dir, env })).checks.map(
          (x) => [x.name, x],
        ),
      );
    const c = await doctor();
    expect(c.repository).toMatchObject({ ok: true, detail: dir });
    expect(c.vcs?.ok).toBe(true);
    expect(c.vcs?.detail).toContain("not colocated: its git store is .jj/repo/store/git");
    expect(c.vcs?.detail).toContain("each run gets a jj workspace");
    // Git worktrees would live in jj's own store, which the person's jj does not import.
    await writeFile(join(dir, ".ballador", "config.yaml"), `${config}\nvcs: git\n`);
    expect((await doctor()).vcs).toMatchObject({
      ok: false,
      fix: "set vcs: jj (or remove vcs: git) in .ballador/config.yaml",
    });
  });

  it("a jj repository whose git store is elsewhere (jj git init --git-repo) is named, with the fix", async () => {
    const parent = await makeTempDir("bl-jj-");
    const dir = join(parent, "repo");
    await mkdir(dir);
    execFileSync("git", ["init", "-q", "--bare", join(parent, "store.git")]);
    execFileSync(JJ, ["git", "init", "--git-repo", join(parent, "store.git")], {
      cwd: dir,
      env: { ...process.env, JJ_CONFIG: "/dev/null" },
      stdio: "ignore",
    });
    const r = await runCli(["doctor", "--json"], {
      cwd: dir,
      env: { PATH, XDG_CONFIG_HOME: join(parent, "xdg") },
    });
    const c = Object.fromEntries(parseJson<{ checks: Check[] }>(r).checks.map((x) => [x.name, x]));
    expect(r.code).not.toBe(0);
    expect(c.repository?.ok).toBe(false);
    expect(c.repository?.fix).toContain(`${dir} is a Jujutsu repository whose git store is elsewhere`);
  });
});
