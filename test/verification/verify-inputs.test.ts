/**
 * Verify inputs (issue 28): a clean verification pins what decides the verdict, not whole files.
 * A real npm project (`verify: npm test`, bootstrap `npm install --offline`), in the real sandbox
 * with no network, scripted agents:
 * - a part that adds a dependency (a packed tarball it commits) passes, and the brief lists it;
 * - the same part with `scripts.test` weakened is judged by the base's script, and fails;
 * - a part that changes a file deciding how tests run reaches review with it listed under
 *   "Changes how tests run", and `merge` asks for --accept-verify-change.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { cleanupProjects, commitAndDone, type Step } from "../helpers/runtime.js";
import { briefSection, makeVerifyProject, reviewBrief, writePart } from "../helpers/verification.js";

afterEach(cleanupProjects);

const BASE_PACKAGE = `${JSON.stringify(
  { name: "app", version: "1.0.0", private: true, scripts: { test: "node test.js" } },
  null,
  2,
)}\n`;
const TEST_JS = `const app = require("./app.js");
if (app() !== "good") {
  console.log("TEST-FAIL: app says " + app());
  process.exit(1);
}
console.log("tests pass");
`;

/** The agent packs a tiny package into vendor/ (no registry, no network) and depends on it. */
const PACK_TINY: Step = {
  run: [
    "mkdir -p .pack/package vendor",
    `printf '%s' '{"name":"tiny","version":"1.0.0","main":"index.js"}' > .pack/package/package.json`,
    `printf '%s\\n' 'module.exports = () => 42;' > .pack/package/index.js`,
    "tar czf vendor/tiny-1.0.0.tgz -C .pack package",
    "rm -rf .pack",
  ].join(" && "),
};

/** As an honest agent does after adding a dependency: install it (offline), lockfile and all. */
const INSTALL: Step = { run: "npm install --offline --no-audit --no-fund" };

function branchPackage(scripts: Record<string, string>): string {
  return `${JSON.stringify(
    {
      name: "app",
      version: "1.0.0",
      private: true,
      scripts,
      dependencies: { tiny: "file:vendor/tiny-1.0.0.tgz" },
    },
    null,
    2,
  )}\n`;
}

describe("verify inputs", () => {
  it("a new npm dependency passes npm test; a weakened scripts.test is judged by the base's; a changed tsconfig.json needs --accept-verify-change", async () => {
    const p = await makeVerifyProject({
      sandbox: "bwrap",
      config: { verify: "npm test", bootstrap: ["npm install --offline --no-audit --no-fund"] },
      files: {
        "package.json": BASE_PACKAGE,
        "test.js": TEST_JS,
        "app.js": 'module.exports = () => "good";\n',
        // Each worktree's bootstrap writes a lockfile: kept out so that two branches do not conflict.
        ".gitignore": "node_modules/\npackage-lock.json\n",
      },
    });
    await writePart(p, "dep", {
      steps: [
        PACK_TINY,
        { write: { path: "package.json", content: branchPackage({ test: "node test.js" }) } },
        INSTALL,
        {
          write: {
            path: "app.js",
            content:
              'const tiny = require("tiny");\nmodule.exports = () => (tiny() === 42 ? "good" : "bad");\n',
          },
        },
        { commit: "app uses tiny" },
        { done: "uses tiny" },
      ],
    });
    await writePart(p, "weak", {
      steps: [
        PACK_TINY,
        { write: { path: "package.json", content: branchPackage({ test: "exit 0" }) } },
        INSTALL,
        { write: { path: "app.js", content: 'module.exports = () => "bad";\n' } },
        { commit: "broken, with a test script that passes anything" },
        { done: "all green" },
      ],
    });
    await writePart(p, "tsc", {
      steps: [
        { write: { path: "tsconfig.json", content: '{ "compilerOptions": { "strict": false } }\n' } },
        ...commitAndDone("notes.txt", "notes\n", { commit: "loosen tsconfig", done: "notes" }),
      ],
    });
    await p.commitAll("parts");
    await p.ok(["queue"]);
    await p.ok(["launch"]);
    const settled = ["review", "failed", "blocked"];
    const [dep, weak, tsc] = await Promise.all(
      ["dep", "weak", "tsc"].map((id) => p.waitState(id, settled, 240_000)),
    );

    // The honest dependency: installed by the verification's bootstrap, inside the sandbox.
    if (dep?.state !== "review") {
      const d = await p.runDir("dep");
      console.log(await readFile(join(d, "session.log"), "utf8").catch(() => ""));
      console.log(await readFile(join(d, "verify.log"), "utf8").catch(() => ""));
      console.log((await p.run(["sandbox", "denials", "dep"])).stdout);
    }
    expect(dep?.state, JSON.stringify(dep)).toBe("review");
    const depBrief = await reviewBrief(p, "dep");
    const depVerification = briefSection(depBrief.markdown, "Verification");
    expect(depVerification).toContain("### Dependency changes");
    expect(depVerification).toContain("added `tiny` `file:vendor/tiny-1.0.0.tgz` (dependencies)");
    expect(depVerification).not.toContain("Changes how tests run");
    expect(depBrief.data.tampered).toEqual([]);

    // The weakened script: judged by the base's `node test.js`, which fails on the broken app.
    expect(weak?.state).toBe("failed");
    const weakBrief = await reviewBrief(p, "weak");
    expect(weakBrief.data.tampered).toEqual(["package.json (scripts.test)"]);
    expect(briefSection(weakBrief.markdown, "Verification")).toContain("FAILED: `npm test`");
    const weakLog = await readFile(join(await p.runDir("weak"), "verify.log"), "utf8");
    expect(weakLog).toContain("TEST-FAIL: app says bad");

    // A file that decides how tests run: listed for the person, and merge asks.
    expect(tsc?.state).toBe("review");
    const tscBrief = await reviewBrief(p, "tsc");
    expect(briefSection(tscBrief.markdown, "Verification")).toContain("### Changes how tests run");
    expect(tscBrief.data.tampered).toEqual(["tsconfig.json"]);
    const mainBefore = await p.rev("main");
    const refusedMerge = await p.run(["merge", "tsc", "--json"]);
    expect(refusedMerge.code).toBe(4);
    const err = JSON.parse(refusedMerge.stdout) as { error: { code: string; message: string } };
    expect(err.error.code).toBe("verify_change");
    expect(err.error.message).toContain("tsconfig.json");
    expect(err.error.message).toContain("--accept-verify-change");
    expect(await p.rev("main")).toBe(mainBefore);

    // The dependency merges as it is; the changed tsconfig.json with the person's word.
    await p.ok(["merge", "dep"]);
    expect(await p.git(["show", "main:package.json"])).toContain("file:vendor/tiny-1.0.0.tgz");
    const accepted = await p.ok(["merge", "tsc", "--accept-verify-change", "--json"]);
    expect(JSON.parse(accepted.stdout)).toMatchObject({ acceptedVerifyChanges: ["tsconfig.json"] });
  }, 600_000);
});
