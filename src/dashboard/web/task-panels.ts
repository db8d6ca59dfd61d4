/** The task page's panels: diff, verification, sandbox denials, brief, part, spec, runs, history. */

import { age, clear, h, markdown } from "./dom.js";
import { partVerifyNote } from "./part-verify.js";
import type { TaskPageData } from "./task-data.js";

/** Draws every panel again from the page's data; agent text goes in as text nodes only. */
export type OnLine = (file: string, line: number, side: "new" | "old", code: string) => void;

export function renderPanels(sections: HTMLElement, d: TaskPageData, onLine?: OnLine): void {
  clear(sections);
  const sec = (title: string, ...body: Array<Node | null>) =>
    sections.appendChild(
      h("section", { class: "panel" }, h("div", { class: "panel-head" }, h("h2", null, title)), ...body),
    );
  sec("Diff", diffPanel(d, onLine));
  sec("Verification", partVerifyNote(d.partVerify), verificationPanel(d));
  sec("Sandbox denials", denialsPanel(d));
  sec(
    "Review brief",
    h(
      "div",
      { class: "brief" },
      d.brief ? markdown(d.brief.markdown) : h("p", { class: "muted" }, d.briefError ?? "No brief."),
    ),
  );
  sec("The part", markdown(d.task.body || "(no description)"));
  sec("The spec", specPanel(d));
  sec("Runs", runsPanel(d));
  sec("History", historyPanel(d));
}

function diffPanel(d: TaskPageData, onLine?: OnLine): HTMLElement {
  return d.diff.length === 0
    ? h(
        "p",
        { class: "muted" },
        d.merged ? "The task's own commits changed nothing." : "No changes on the branch yet.",
      )
    : h(
        "div",
        { class: "diff" },
        d.diff.map((f, i) => diffFile(f, i < 3, onLine)),
      );
}

function verificationPanel(d: TaskPageData): HTMLElement {
  return d.verifications.length === 0
    ? h("p", { class: "muted" }, "No verification recorded.")
    : h(
        "div",
        null,
        d.verifications.map((v) =>
          h(
            "details",
            { class: `verify ${v.passed ? "passed" : "failed"}`, open: !v.passed },
            h(
              "summary",
              null,
              v.command === null
                ? h("span", { class: "pill unverified" }, "unverified")
                : h(
                    "span",
                    { class: `pill ${v.passed ? "state-merged" : "state-failed"}` },
                    v.passed ? "passed" : "failed",
                  ),
              ` ${v.kind === "gate" ? "agent's gate" : v.kind === "clean" ? "clean checkout" : "merged result"} · `,
              h("code", null, v.command ?? "(no verify command)"),
              ` · ${(v.ms / 1000).toFixed(1)} s · ${v.commit?.slice(0, 10) ?? "?"}`,
            ),
            v.detail ? h("p", { class: "muted" }, v.detail) : null,
            h(
              "pre",
              { class: "log" },
              v.tail ?? (v.passed ? "(passed: no output kept)" : "(no output kept)"),
            ),
            v.log ? h("p", { class: "muted" }, "The whole log: ", h("code", null, v.log)) : null,
          ),
        ),
      );
}

function denialsPanel(d: TaskPageData): HTMLElement {
  const denied = d.denials.runs.flatMap((r) => r.denials.map((x) => ({ ...x, profile: r.profile })));
  return denied.length === 0
    ? h("p", { class: "muted" }, "No denied network requests.")
    : h(
        "div",
        null,
        h(
          "ul",
          { class: "denials" },
          denied.map((x) =>
            h(
              "li",
              null,
              h("code", null, `${x.host}${x.port ? `:${x.port}` : ""}`),
              ` denied ${x.count}× (${x.profile})`,
            ),
          ),
        ),
        h("p", null, "To allow, add one of these lines to .ballador/config.yaml:"),
        h(
          "pre",
          { class: "code suggestions" },
          d.denials.suggestions.flatMap((s) => [s.global, ...s.perProfile]).join("\n"),
        ),
      );
}

function specPanel(d: TaskPageData): HTMLElement {
  return d.spec
    ? d.spec.text === null
      ? h("p", { class: "muted" }, `${d.spec.path} (not found)`)
      : h("details", null, h("summary", null, d.spec.path), markdown(d.spec.text))
    : h("p", { class: "muted" }, "This part names no spec.");
}

function runsPanel(d: TaskPageData): HTMLElement {
  return d.runs.length === 0
    ? h("p", { class: "muted" }, "Never run.")
    : table(
        ["attempt", "profile", "status", "started", "outcome", "detail"],
        d.runs.map((r) => [
          String(r.attempt),
          r.profile,
          r.status,
          `${age(r.startedAt)} ago`,
          r.outcome ?? "",
          r.detail ?? "",
        ]),
      );
}

/** State changes and, between them, what people typed into the agent (issue 34). */
function historyPanel(d: TaskPageData): HTMLElement {
  const rows: Array<{ at: string; cells: string[] }> = [
    ...d.events.map((e) => ({
      at: e.at,
      cells: [e.from ?? "new", e.to, e.cause + (e.detail ? `: ${e.detail}` : ""), e.actor],
    })),
    ...d.notes
      .filter((n) => n.kind === "typed")
      .map((n) => ({ at: n.at, cells: ["", "", `typed: ${n.text}`, `typed by ${n.author ?? "a person"}`] })),
  ];
  rows.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
  return table(
    ["when", "from", "to", "cause", "by"],
    rows.map((r) => [`${age(r.at)} ago`, ...r.cells]),
  );
}

function table(headers: string[], rows: string[][]): HTMLElement {
  return h(
    "table",
    { class: "plain" },
    h(
      "thead",
      null,
      h(
        "tr",
        null,
        headers.map((x) => h("th", null, x)),
      ),
    ),
    h(
      "tbody",
      null,
      rows.map((r) =>
        h(
          "tr",
          null,
          r.map((c) => h("td", null, c)),
        ),
      ),
    ),
  );
}

function diffFile(f: TaskPageData["diff"][number], open: boolean, onLine?: OnLine): HTMLElement {
  const pre = h("pre", { class: "diff-text" });
  const fill = () => {
    if (pre.firstChild) return;
    // Line numbers from the hunk headers: a comment names the line as the file has it.
    let oldN = 0;
    let newN = 0;
    for (const line of f.text.split("\n")) {
      const hunk = /^@@ -(\d+)(?:,\d+)? \+(\d+)/.exec(line);
      const meta =
        line.startsWith("+++") ||
        line.startsWith("---") ||
        line.startsWith("diff ") ||
        line.startsWith("index ");
      const cls = hunk
        ? "hunk"
        : meta
          ? "meta"
          : line.startsWith("+")
            ? "add"
            : line.startsWith("-")
              ? "del"
              : "ctx";
      if (hunk) {
        oldN = Number(hunk[1]);
        newN = Number(hunk[2]);
      }
      let at: { line: number; side: "new" | "old" } | null = null;
      if (!hunk && !meta && newN > 0) {
        if (cls === "del") at = { line: oldN++, side: "old" };
        else {
          at = { line: newN++, side: "new" };
          if (cls === "ctx") oldN++;
        }
      }
      const where = at;
      pre.appendChild(
        h(
          "span",
          {
            class: `dl ${cls}${where && onLine ? " commentable" : ""}`,
            "data-line": where ? where.line : null,
            "data-side": where ? where.side : null,
            title: where && onLine ? `Comment on ${f.file} line ${where.line}` : null,
            onclick: where && onLine ? () => onLine(f.file, where.line, where.side, line) : null,
          },
          `${line}\n`,
        ),
      );
    }
    if (f.truncated)
      pre.appendChild(h("span", { class: "dl meta" }, "(cut here: the file's diff is larger)\n"));
  };
  const d = h(
    "details",
    { class: "diff-file", open },
    h(
      "summary",
      null,
      h("span", { class: "file" }, f.file),
      h("span", { class: "add" }, ` +${f.added}`),
      h("span", { class: "del" }, ` −${f.removed}`),
    ),
    pre,
  );
  // Large diffs are drawn when opened, not before.
  if (open) fill();
  d.addEventListener("toggle", fill);
  return d;
}
