#!/usr/bin/env node
/**
 * A Ballador shell source for Jira (docs/sources.md, "Jira"). Ballador runs it as
 *   node docs/recipes/jira-source.mjs list | get | mark STATE
 * with JSON on stdin ({"label"} for list, {"source_ref"} for get, the write for mark) and reads
 * JSON from stdout. Settings from the environment:
 *   JIRA_URL          https://acme.atlassian.net (no trailing slash)
 *   JIRA_EMAIL, JIRA_API_TOKEN   basic auth (Jira Cloud); or JIRA_BEARER (a personal access token)
 *   JIRA_JQL          which issues to look at (default: statusCategory != Done)
 *   JIRA_IN_PROGRESS, JIRA_IN_REVIEW, JIRA_DONE   transition names (default In Progress, In Review, Done)
 * Node 20 or later; no dependencies.
 */
import { readFileSync } from "node:fs";

const base = (process.env.JIRA_URL ?? "").replace(/\/+$/, "");
if (!/^https?:\/\//.test(base)) fail("set JIRA_URL, such as https://acme.atlassian.net");
const auth = process.env.JIRA_BEARER
  ? `Bearer ${process.env.JIRA_BEARER}`
  : `Basic ${Buffer.from(`${process.env.JIRA_EMAIL ?? ""}:${process.env.JIRA_API_TOKEN ?? ""}`).toString("base64")}`;
const FIELDS = "summary,description,status,labels,assignee,issuelinks,parent";

function fail(message) {
  process.stderr.write(`jira-source: ${message}\n`);
  process.exit(1);
}

async function jira(method, path, body) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: auth, accept: "application/json", "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(25_000),
  });
  if (res.status === 404) return null;
  const text = await res.text();
  if (!res.ok) fail(`${method} ${path}: HTTP ${res.status} ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : {};
}

/** Jira Cloud's description is a document (ADF); its text nodes, a paragraph a line. */
function plain(doc) {
  if (typeof doc === "string") return doc;
  if (!doc || typeof doc !== "object") return "";
  if (doc.type === "text") return doc.text ?? "";
  const inner = (doc.content ?? []).map(plain).join("");
  return ["paragraph", "heading", "listItem", "codeBlock"].includes(doc.type) ? `${inner}\n` : inner;
}

const done = (status) => status?.statusCategory?.key === "done";

function toIssue(i) {
  const f = i.fields ?? {};
  return {
    source_ref: i.key,
    key: i.key,
    title: f.summary ?? "",
    body: plain(f.description),
    url: `${base}/browse/${i.key}`,
    state: done(f.status) ? "closed" : "open",
    labels: f.labels ?? [],
    assignees: [f.assignee?.emailAddress, f.assignee?.displayName].filter(Boolean),
    // On issue A, a "Blocks" link with an inwardIssue X reads "A is blocked by X".
    blocked_by: (f.issuelinks ?? [])
      .filter((l) => l.type?.name === "Blocks" && l.inwardIssue && !done(l.inwardIssue.fields?.status))
      .map((l) => l.inwardIssue.key),
    parent: f.parent?.key ?? null,
  };
}

async function transition(key, name) {
  const t = await jira("GET", `/rest/api/2/issue/${encodeURIComponent(key)}/transitions`);
  const found = (t?.transitions ?? []).find((x) => x.name.toLowerCase() === name.toLowerCase());
  if (found)
    await jira("POST", `/rest/api/2/issue/${encodeURIComponent(key)}/transitions`, {
      transition: { id: found.id },
    });
}

const [command, state] = process.argv.slice(2);
const input = JSON.parse(readFileSync(0, "utf8").trim() || "{}");
if (command === "list") {
  const me = await jira("GET", "/rest/api/2/myself");
  const jql = process.env.JIRA_JQL ?? "statusCategory != Done ORDER BY created";
  const issues = [];
  for (let startAt = 0; startAt < 1000; startAt += 100) {
    const page = await jira(
      "GET",
      `/rest/api/2/search?jql=${encodeURIComponent(jql)}&fields=${FIELDS}&maxResults=100&startAt=${startAt}`,
    );
    issues.push(...(page?.issues ?? []).map(toIssue));
    if (!page || startAt + 100 >= page.total) break;
  }
  process.stdout.write(JSON.stringify({ me: me?.emailAddress ?? null, issues }));
} else if (command === "get") {
  const i = await jira("GET", `/rest/api/2/issue/${encodeURIComponent(input.source_ref)}?fields=${FIELDS}`);
  process.stdout.write(JSON.stringify(i ? toIssue(i) : null));
} else if (command === "mark") {
  const key = encodeURIComponent(input.source_ref);
  if (state === "claimed")
    await jira("PUT", `/rest/api/2/issue/${key}`, {
      update: { labels: [{ add: `ballador-claim:${input.instance}` }] },
    });
  if (state === "running") await transition(input.source_ref, process.env.JIRA_IN_PROGRESS ?? "In Progress");
  if (state === "review") await transition(input.source_ref, process.env.JIRA_IN_REVIEW ?? "In Review");
  if (input.text) await jira("POST", `/rest/api/2/issue/${key}/comment`, { body: input.text });
  if (state === "merged" && input.close) await transition(input.source_ref, process.env.JIRA_DONE ?? "Done");
} else {
  fail(`unknown command ${JSON.stringify(command)} (list, get, mark STATE)`);
}
