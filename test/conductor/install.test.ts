/**
 * `ballador conductor install`: the Claude Code skill, .mcp.json merged with the servers a
 * person already has, AGENTS.md and GEMINI.md with Ballador's section replaced in place; a
 * second run changes nothing; refusals (broken JSON, a link) leave every file as it was.
 */
import { existsSync } from "node:fs";
import { readFile, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { cleanupTempDirs, makeGitRepo, type TestRepo } from "../helpers/cli.js";
import { snapshotTree } from "../helpers/tree.js";

afterEach(cleanupTempDirs);

const START = "<!-- ballador:conductor:start";
const END = "<!-- ballador:conductor:end -->";
const OTHER_SERVER = { command: "npx", args: ["-y", "some-other-server"], env: { TOKEN_FILE: "~/t" } };

async function project(): Promise<TestRepo> {
  const repo = await makeGitRepo();
  expect((await repo.run(["init"])).code).toBe(0);
  return repo;
}

type Install = { changed: boolean; files: Array<{ path: string; change: string }> };

describe("ballador conductor install", () => {
  it("writes the skill, merges .mcp.json, adds Ballador's section to AGENTS.md and GEMINI.md; a re-run changes nothing", async () => {
    const repo = await project();
    await repo.write(".mcp.json", JSON.stringify({ mcpServers: { other: OTHER_SERVER } }, null, 2));
    await repo.write("AGENTS.md", "# House rules\n\nRun the tests before you commit.\n");

    const first = await repo.json<Install>(["conductor", "install"]);
    expect(Object.fromEntries(first.files.map((f) => [f.path, f.change]))).toEqual({
      ".claude/skills/ballador-conductor/SKILL.md": "created",
      ".mcp.json": "updated",
      "AGENTS.md": "updated",
      "GEMINI.md": "created",
    });

    const skill = await readFile(join(repo.dir, ".claude/skills/ballador-conductor/SKILL.md"), "utf8");
    expect(skill).toMatch(/^---\nname: ballador-conductor\ndescription: .+\n---\n/);
    for (const topic of [
      "## Living specs",
      "## Parts",
      "needs:",
      "scope:",
      "verify:",
      "queue --dry-run",
      "ballador next",
      "## The verification pass",
      "## The rule",
    ]) {
      expect(skill).toContain(topic);
    }
    expect(skill).toMatch(/Never launch, stop, resume, retry, abandon, merge/);

    const mcp = JSON.parse(await readFile(join(repo.dir, ".mcp.json"), "utf8"));
    expect(mcp.mcpServers).toEqual({ other: OTHER_SERVER, ballador: { command: "ballador", args: ["mcp"] } });

    const agents = await readFile(join(repo.dir, "AGENTS.md"), "utf8");
    expect(agents.startsWith("# House rules\n\nRun the tests before you commit.\n\n")).toBe(true);
    expect(agents.split(START).length - 1).toBe(1);
    expect(agents).toContain("## The rule");
    const gemini = await readFile(join(repo.dir, "GEMINI.md"), "utf8");
    expect(gemini.startsWith(START)).toBe(true);

    const again = await repo.run(["conductor", "install"]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("Nothing changed");
    const json = await repo.json<Install>(["conductor", "install"]);
    expect(json.changed).toBe(false);
    expect(json.files.every((f) => f.change === "unchanged")).toBe(true);
  });

  it("replaces an older section in place, keeping what the person wrote around it", async () => {
    const repo = await project();
    await repo.write(
      "AGENTS.md",
      `# Mine\n\nabove\n\n${START} old -->\nold guidance\n${END}\n\nbelow, also mine\n`,
    );
    const r = await repo.json<Install>(["conductor", "install"]);
    expect(r.files.find((f) => f.path === "AGENTS.md")?.change).toBe("updated");
    const text = await readFile(join(repo.dir, "AGENTS.md"), "utf8");
    expect(text).not.toContain("old guidance");
    expect(text.startsWith("# Mine\n\nabove\n\n<!-- ballador:conductor:start")).toBe(true);
    expect(text.endsWith(`${END}\n\nbelow, also mine\n`)).toBe(true);
    expect(text.split(START).length - 1).toBe(1);
  });

  it("refuses broken .mcp.json, broken markers and links, writing nothing", async () => {
    const repo = await project();
    await repo.write(".mcp.json", "{ not json");
    let before = await snapshotTree(repo.dir);
    let r = await repo.run(["conductor", "install"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(".mcp.json is not valid JSON");
    expect(await snapshotTree(repo.dir)).toEqual(before);
    expect(existsSync(join(repo.dir, "GEMINI.md"))).toBe(false);

    await writeFile(join(repo.dir, ".mcp.json"), "{}");
    await repo.write("GEMINI.md", `${START} -->\nhalf a section\n`);
    before = await snapshotTree(repo.dir);
    r = await repo.run(["conductor", "install"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("GEMINI.md: Ballador's section markers are broken");
    expect(await snapshotTree(repo.dir)).toEqual(before);

    await writeFile(join(repo.dir, "GEMINI.md"), "");
    const outside = join(repo.parent, "bashrc");
    await writeFile(outside, "export PS1='$ '\n");
    await symlink(outside, join(repo.dir, "AGENTS.md"));
    before = await snapshotTree(repo.dir);
    r = await repo.run(["conductor", "install"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/AGENTS.md.*symbolic link/);
    expect(await snapshotTree(repo.dir)).toEqual(before);
    expect(await readFile(outside, "utf8")).toBe("export PS1='$ '\n");
  });
});
