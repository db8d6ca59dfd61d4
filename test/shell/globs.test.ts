/** `queue` rejects a scope pattern picomatch cannot parse, naming the file, its line and the field. */
import { afterEach, describe, expect, it } from "vitest";
import { cleanupTempDirs, makeGitRepo } from "../helpers/cli.js";

afterEach(cleanupTempDirs);

describe("scope globs at the door", () => {
  it("queue names the file, line and field of a bad scope, and queues nothing", async () => {
    const repo = await makeGitRepo();
    expect((await repo.run(["init"])).code).toBe(0);
    await repo.write(
      ".ballador/parts/good.md",
      '---\nid: good\ntitle: Good\nscope: ["src/{api,cli}/**", "!src/**/*.test.ts"]\n---\n',
    );
    await repo.write(".ballador/parts/bad.md", '---\nid: bad\ntitle: Bad\nscope:\n  - "src/[a-"\n---\n');
    const r = await repo.run(["queue"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("nothing was queued");
    expect(r.stderr).toMatch(
      /\.ballador\/parts\/bad\.md:\d+: scope\.0: "src\/\[a-" is not a valid glob: Missing closing: "\]"/,
    );
    expect(await repo.json<{ tasks: unknown[] }>(["status"])).toMatchObject({ tasks: [] });
    // part new checks --scope before writing anything.
    const n = await repo.run(["part", "new", "x", "--title", "X", "--scope", "src/{a,b"]);
    expect(n.code).toBe(2);
    expect(n.stderr).toContain('--scope: "src/{a,b" is not a valid glob');
    // A comma inside braces belongs to the glob; outside it separates globs.
    expect(
      (await repo.run(["part", "new", "y", "--title", "Y", "--scope", "src/{a,b}/**,docs/*.md"])).code,
    ).toBe(0);
    const q = await repo.json<{ inserted: string[] }>(["queue", ".ballador/parts/unsorted"]);
    expect(q.inserted).toEqual(["y"]);
    const y = await repo.json<{ task: { scope: string[] } }>(["show", "y"]);
    expect(y.task.scope).toEqual(["src/{a,b}/**", "docs/*.md"]);
  });
});
