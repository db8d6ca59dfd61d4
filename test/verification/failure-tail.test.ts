/**
 * A failed check's output where a reviewer looks (issue 28): the tail of Ballador's failed
 * clean verification, with the path of the whole log, in the brief, `show` (text and --json),
 * the agent's next prompt and the dashboard's task page (headless Chromium); the agent's output
 * in it (escape sequences, HTML, a markdown fence and heading) stays inert everywhere. And
 * "flaky" means only the same commit both passing and failing Ballador's own verifications.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { HAVE_CHROMIUM, launchBrowser } from "../helpers/browser.js";
import { serveDashboard } from "../helpers/dashboard.js";
import { cleanupProjects, type Project, waitFor } from "../helpers/runtime.js";
import {
  briefHeadings,
  briefSection,
  commitAndForgeDone,
  makeVerifyProject,
  reviewBrief,
  type VerifyProject,
  writePart,
} from "../helpers/verification.js";

afterEach(cleanupProjects);

/** What verify.sh echoes back from app.txt: OSC 52 (clipboard), a screen clear, HTML, a fence and a heading. */
const HOSTILE =
  'bad\u001b]52;c;cHduZWQ=\u0007\u001b[2J<img src=x onerror="window.__pwned=1">\n```\n## Injected heading\n[click](javascript:window.__pwned=1)';
/** The recognizable failing line as every face must show it: its escapes visible, never obeyed. */
const SHOWN = "VERIFY-FAIL: app.txt says 'bad\\x1b]52;c;cHduZWQ=\\x07\\x1b[2J<img src=x onerror=";

interface VerificationJson {
  kind: string;
  passed: boolean;
  commit: string | null;
  tail: string | null;
  log: string | null;
}

/** Waits until the task failed for good: both attempts ran (between them it may pass through failed). */
async function failedTwice(p: VerifyProject, id: string) {
  return waitFor(
    async () => {
      const s = await p.show(id);
      return s.task.state === "failed" && s.runs.length === 2 && s.runs.every((r) => r.status === "ended")
        ? s
        : undefined;
    },
    `${id} to fail twice`,
    60_000,
  );
}

async function servePage(p: Project): Promise<{ url: string; stop: () => void }> {
  const { url, server } = await serveDashboard(p);
  return { url, stop: () => server.child.kill("SIGTERM") };
}

describe("a failed check's output", () => {
  it("the clean verification's failing line is in the brief, show (text and --json), the next prompt and the task page, escaped, with the whole log's path", async () => {
    const p = await makeVerifyProject({ sandbox: "none", config: { max_attempts: 2 } });
    await writePart(p, "tail", {
      steps: commitAndForgeDone("app.txt", `${HOSTILE}\n`, "app.txt as I like it", "done"),
    });
    await p.ok(["queue"]);
    await p.ok(["launch"]);
    const shown = await failedTwice(p, "tail");
    const logs = shown.runs.map((r) => join(r.runDir, "verify.log"));
    // The whole log really holds the raw output (the tail is its excerpt).
    expect(await readFile(logs[0] as string, "utf8")).toContain("VERIFY-FAIL: app.txt says 'bad\u001b]52");

    // The brief: the tail under the failed check, escaped, fenced, and where the whole log is.
    const b = await reviewBrief(p, "tail");
    const section = briefSection(b.markdown, "Verification");
    expect(section).toContain(SHOWN);
    expect(section).toContain(`The whole log: \`${logs[0]}\``);
    expect(section).toContain(`The whole log: \`${logs[1]}\``);
    expect(b.markdown).not.toMatch(/[\u001b\u0007]/);
    expect(briefHeadings(b.markdown)).not.toContain("Injected heading");
    const briefChecks = b.data.verification as unknown as VerificationJson[];
    expect(briefChecks.map((v) => [v.kind, v.passed, v.log])).toEqual([
      ["clean", false, logs[0]],
      ["clean", false, logs[1]],
    ]);
    expect(briefChecks[0]?.tail).toContain(SHOWN);

    // show --json: each verification with its tail (escaped) and log.
    const json = (await p.show("tail")) as unknown as { verifications: VerificationJson[]; flaky: string[] };
    expect(json.verifications.map((v) => [v.kind, v.passed, v.log])).toEqual([
      ["clean", false, logs[0]],
      ["clean", false, logs[1]],
    ]);
    for (const v of json.verifications) {
      expect(v.tail).toContain(SHOWN);
      expect(v.tail).not.toMatch(/[\u001b\u0007]/);
    }
    expect(json.flaky).toEqual([]);

    // show, as a person reads it in a terminal.
    const text = (await p.ok(["show", "tail"])).stdout;
    expect(text).toContain(SHOWN);
    expect(text).toContain(logs[0]);
    expect(text).not.toMatch(/[\u001b\u0007]/);

    // Attempt 2 was told what failed, and where the whole log is.
    const prompt2 = await readFile(join(shown.runs[1]?.runDir ?? "", "prompt.md"), "utf8");
    expect(prompt2).toContain(SHOWN);
    expect(prompt2).toContain(logs[0]);
    expect(prompt2).not.toMatch(/[\u001b\u0007]/);
    expect(prompt2.split("\n")).not.toContain("## Injected heading");

    if (!HAVE_CHROMIUM) return;
    const served = await servePage(p);
    const browser = await launchBrowser();
    try {
      const page = await (await browser.newContext()).newPage();
      await page.goto(served.url);
      await page.evaluate(() => {
        location.hash = "#/task/tail";
      });
      const outputs = page.locator(".verify.failed pre.log");
      await expect.poll(() => outputs.count(), { timeout: 30_000 }).toBe(2);
      for (const t of await outputs.allTextContents()) expect(t).toContain(SHOWN);
      const main = (await page.locator("main").textContent()) ?? "";
      expect(main).toContain(logs[0]);
      expect(main).not.toContain("(no output kept)");
      expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
      expect(await page.locator("main img, main script").count()).toBe(0);
      expect(await page.locator('a[href^="javascript:"]').count()).toBe(0);
      expect(await page.locator("main h3, main h4, main h5, main h6").allTextContents()).not.toContain(
        "Injected heading",
      );
    } finally {
      await browser.close();
      served.stop();
    }
  }, 120_000);
});

describe("flaky", () => {
  it("two clean verifications of the same commit with different outcomes are flaky, in the brief and show", async () => {
    // A verify that fails the first time it ever runs, then passes: a flip file outside the checkout.
    const p = await makeVerifyProject({ sandbox: "none", config: { max_attempts: 2 } });
    const flip = join(p.parent, "flip");
    await p.write(
      ".ballador/config.yaml",
      (await readFile(join(p.dir, ".ballador/config.yaml"), "utf8")).replace(
        "verify: ./verify.sh",
        `verify: "test -e ${flip} || { touch ${flip}; echo 'VERIFY-FAIL: cold'; exit 1; }"`,
      ),
    );
    await p.commitAll("a verify that fails once");
    await writePart(p, "twice", {
      // Attempt 2 commits nothing new: Ballador verifies the same commit again.
      steps: commitAndForgeDone("feature.txt", "feature\n", "add feature", "done"),
    });
    await p.ok(["queue"]);
    await p.ok(["launch"]);
    const t = await p.waitState("twice", ["review", "blocked"], 60_000);
    expect(t.state).toBe("review");
    const head = await p.rev("ballador/twice");
    const b = await reviewBrief(p, "twice");
    expect(b.data.verification.map((v) => [v.kind, v.passed, v.commit])).toEqual([
      ["clean", false, head],
      ["clean", true, head],
    ]);
    expect(b.data.flaky).toEqual([head]);
    expect(briefSection(b.markdown, "Verification")).toContain(
      `**Flaky:** the same commit both passed and failed Ballador's own verification: ${head.slice(0, 10)}`,
    );
    const json = (await p.show("twice")) as unknown as { flaky: string[] };
    expect(json.flaky).toEqual([head]);
    expect((await p.ok(["show", "twice"])).stdout).toContain(`flaky: ${head.slice(0, 10)}`);
  }, 90_000);
});
