/**
 * The judge's environment (issue 28) is built from scratch: a fresh HOME and TMPDIR, a few host
 * variables by name with no value pointing where an agent writes, the run's identity words.
 */
import { describe, expect, it } from "vitest";
import { judgeEnvironment, judgeEnvironmentId, normalizeAbsolute } from "../../src/core/judge-env.js";

const RUNS = "/p/.ballador/state/runs";
const TREES = "/p.ballador";

function judge(host: Record<string, string>, identity: Record<string, string> = {}) {
  return judgeEnvironment({
    host,
    identity,
    home: `${RUNS}/r1/judge-x/home`,
    tmp: `${RUNS}/r1/judge-x/tmp`,
    agentWritten: [`${RUNS}/r1/home`, `${RUNS}/r1/tmp`, TREES, `${RUNS}/`],
  });
}

describe("the judge's environment", () => {
  it("takes HOME and TMPDIR from the host-made folders, never from the run or the host", () => {
    const env = judge({ PATH: "/usr/bin", HOME: "/root", TMPDIR: "/var/tmp" }, { HOME: `${RUNS}/r1/home` });
    expect(env.HOME).toBe(`${RUNS}/r1/judge-x/home`);
    expect(env.TMPDIR).toBe(`${RUNS}/r1/judge-x/tmp`);
  });

  it("passes nothing that changes how a runner starts: GIT_*, NODE_OPTIONS, PYTHON*, npm_config_*, XDG_*", () => {
    const poisoned = {
      PATH: "/usr/bin",
      GIT_CONFIG_GLOBAL: "/x",
      GIT_DIR: "/x",
      NODE_OPTIONS: "--require /x.js",
      PYTHONPATH: "/x",
      PYTHONSTARTUP: "/x",
      PYTHONUSERBASE: "/x",
      npm_config_userconfig: "/x",
      XDG_CONFIG_HOME: "/x",
      BASH_ENV: "/x",
      LD_PRELOAD: "/x.so",
      ANTHROPIC_API_KEY: "secret",
    };
    const env = judge(poisoned, poisoned);
    expect(Object.keys(env).sort()).toEqual(["HOME", "PATH", "TMPDIR"]);
  });

  it("drops PATH entries where an agent writes, and relative ones (the checkout being judged)", () => {
    const env = judge({
      PATH: `${RUNS}/r1/home/.local/bin:/usr/local/bin:.::node_modules/.bin:${TREES}/a/bin:/usr/bin/../../${RUNS.slice(1)}/r2/home/bin:/usr/bin`,
    });
    expect(env.PATH).toBe("/usr/local/bin:/usr/bin");
    expect(judge({ PATH: `.:${TREES}/a` }).PATH).toBe("/usr/local/bin:/usr/bin:/bin");
  });

  it("keeps the host's locale and user, and the run's identity words but not its paths", () => {
    const env = judge(
      { PATH: "/bin", LANG: "C.UTF-8", TZ: "UTC", USER: "me", LC_ALL: `${TREES}/a/locale` },
      {
        BALLADOR_TASK_ID: "t",
        BALLADOR_RUN_ID: "r",
        BALLADOR_BRANCH: "ballador/t",
        BALLADOR_ATTEMPT: "2",
        BALLADOR_WORKTREE: `${TREES}/t`,
        BALLADOR_RUN_DIR: `${RUNS}/r1`,
      },
    );
    expect(env).toMatchObject({ LANG: "C.UTF-8", TZ: "UTC", USER: "me", BALLADOR_TASK_ID: "t" });
    expect(env).not.toHaveProperty("LC_ALL");
    expect(env).not.toHaveProperty("BALLADOR_WORKTREE");
    expect(env).not.toHaveProperty("BALLADOR_RUN_DIR");
  });

  it("names its rule, for verdict reuse keys", () => {
    expect(judgeEnvironmentId()).toMatch(/^judge-env\/\d+: fresh HOME, fresh TMPDIR/);
  });

  it("normalizes absolute paths and refuses relative ones", () => {
    expect(normalizeAbsolute("/a/./b//c/../d/")).toBe("/a/b/d");
    expect(normalizeAbsolute("a/b")).toBeNull();
  });
});
