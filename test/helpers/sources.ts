/**
 * A project with a github task source on the `gh` stand-in (issue 33), and the issues it serves
 * in the shapes `gh api` returns: for the task source tests.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { stringify } from "yaml";
import { commitAndDone, gate, makeProject, type Project } from "./runtime.js";
import { type GhStandIn, ghStandIn } from "./verification.js";

export const ISSUES = "repos/acme/widgets/issues?state=open&per_page=100&page=1";

export interface Issue {
  number: number;
  title: string;
  body?: string;
  labels?: string[];
  assignees?: string[];
  blockedBy?: number[];
  subIssues?: number[];
  state?: string;
  pull?: boolean;
}

/** A project with a github source on the stand-in; the scripted agent commits and reports done. */
export async function sourceProject(
  extra: Record<string, unknown> = {},
  sources: Record<string, unknown> = {},
): Promise<{ p: Project; gh: GhStandIn }> {
  const p = await makeProject();
  const script = join(p.parent, "agent.yaml");
  await writeFile(script, stringify({ steps: commitAndDone("work.txt") }));
  const gated = join(p.parent, "gated.yaml");
  await writeFile(gated, stringify({ steps: [gate(p, "g"), ...commitAndDone("gated.txt")] }));
  const failing = join(p.parent, "failing.yaml");
  await writeFile(failing, stringify({ steps: [{ run: "echo cannot; exit 3" }] }));
  const blocker = join(p.parent, "blocker.yaml");
  await writeFile(blocker, stringify({ steps: [{ blocked: "needs the staging database password" }] }));
  await p.write(
    ".ballador/config.yaml",
    stringify({
      base: "main",
      max_attempts: 1,
      tmux_socket: p.socket,
      agents: {
        default: "scripted",
        profiles: {
          scripted: { command: ["ballador-scripted-agent", "--script", script] },
          other: { command: ["ballador-scripted-agent", "--script", script] },
          gated: { command: ["ballador-scripted-agent", "--script", gated] },
          failing: { command: ["ballador-scripted-agent", "--script", failing] },
          blocker: { command: ["ballador-scripted-agent", "--script", blocker] },
        },
      },
      sandbox: { mode: "none" },
      sources: {
        instance: "test-a",
        ...sources,
        trackers: { gh: { type: "github", repo: "acme/widgets", host: "example.test", ...extra } },
      },
    }),
  );
  await p.git(["commit", "-qam", "sources"]);
  const gh = await ghStandIn(p);
  await gh.serve("user", { login: "alice" });
  return { p, gh };
}

export async function serveIssues(gh: GhStandIn, issues: Issue[]): Promise<void> {
  const shape = (i: Issue) => ({
    number: i.number,
    title: i.title,
    body: i.body ?? `Body of ${i.number}`,
    html_url: `https://example.test/acme/widgets/issues/${i.number}`,
    state: i.state ?? "open",
    labels: (i.labels ?? ["ballador"]).map((name) => ({ name })),
    assignees: (i.assignees ?? ["alice"]).map((login) => ({ login })),
    issue_dependencies_summary: { blocked_by: i.blockedBy?.length ?? 0 },
    sub_issues_summary: { total: i.subIssues?.length ?? 0 },
    ...(i.pull ? { pull_request: { url: "x" } } : {}),
  });
  await gh.serve(ISSUES, issues.map(shape));
  for (const i of issues) {
    await gh.serve(`repos/acme/widgets/issues/${i.number}`, shape(i));
    if (i.subIssues?.length)
      await gh.serve(
        `repos/acme/widgets/issues/${i.number}/sub_issues?per_page=100&page=1`,
        i.subIssues.map((n) => ({ number: n, state: "open" })),
      );
    if (i.blockedBy?.length)
      await gh.serve(
        `repos/acme/widgets/issues/${i.number}/dependencies/blocked_by?per_page=100&page=1`,
        i.blockedBy.map((n) => ({ number: n, state: "open" })),
      );
  }
}
