/**
 * What an orchestrator agent is taught: the spec format, how to cut parts, how to queue and
 * read the queue, how to read briefs, and the one rule (never launch, stop, merge or mark
 * done). One text, written into Claude Code's skill and into AGENTS.md / GEMINI.md, so every
 * agent CLI learns the same chamber. Pure: paths come in as arguments.
 */

export interface GuideInput {
  specsDir: string;
  partsDir: string;
  verify: string | null;
  defaultAgent: string;
}

export const SKILL_NAME = "ballador-conductor";
export const GUIDE_START_PREFIX = "<!-- ballador:conductor:start";
export const GUIDE_START =
  "<!-- ballador:conductor:start (written by `ballador conductor install`; a re-run replaces this section) -->";
export const GUIDE_END = "<!-- ballador:conductor:end -->";

export function conductorGuide(g: GuideInput): string {
  return `# Ballador: the conductor's chamber

This repository uses Ballador to run many coding agents in parallel, each on one small **part**
in its own git worktree and sandbox, verified before review. You are the conductor's copyist:
you write specs, cut them into parts and queue them. **The person gives the downbeat.**

## The rule
Never launch, stop, resume, retry, abandon, merge, open a pull request, clean up, or report a
task done or blocked (\`ballador launch|stop|resume|retry|abandon|merge|pr|cleanup|done|blocked\`).
Those belong to the person. When the work is queued, say so and tell them to run
\`ballador launch\` (or \`ballador launch --watch\`). Use the Ballador MCP tools when they are
available (they cannot do any of the above); otherwise the read-only commands below.

## Living specs (\`${g.specsDir}/NNNN-slug.md\`)
Read the code and the earlier specs first, and build on what exists. A spec has a front matter
(\`number\`, \`title\`, \`status: draft|accepted|superseded\`, \`created\`) and these sections, in
this order: \`## Context\` (what is true today, links to code and earlier specs), \`## Problem\`
(what is missing, for whom, how we know it is solved), \`## Options\` (each with its cost),
\`## Decision\` (what and why), \`## Tried and did not work\`, \`## Access patterns\` (who reads
and writes what, how often, how big), \`## Consequences\`, \`## History\` (dated entries
\`- YYYY-MM-DD: what changed\`). Create one with \`ballador spec new "Title"\` (MCP: \`new_spec\`),
fill it in (\`write_spec\`), and check it with \`ballador spec check\` (\`spec_check\`).
The person can also have a headless conductor draft one: \`ballador spec draft "Title" --context-file notes.md\`.

## Parts (\`${g.partsDir}/<spec-name>/<id>.md\`)
A part is a small, self-contained mini-spec that one agent can finish alone in one sitting:

\`\`\`markdown
---
id: extract-events            # unique, a-z 0-9 and -, 1 to 64 characters; the file is <id>.md
title: Emit extraction events
spec: ${g.specsDir}/0003-data-extraction.md
needs: [classify-store]       # ids that must be merged first; as few as the work allows
agent: ${g.defaultAgent}                 # a configured profile, or "any" (default: ${g.defaultAgent})
role: implementer             # optional: test-author, implementer, reviewer, ...
pipeline: tdd                 # optional: a pipeline of .ballador/config.yaml, or a list of roles
scope: ["src/extract/**"]     # the files it will touch: parts that may run at once must not share any
priority: 0                   # higher starts first
---
## Goal
## Context (what the agent must know: files, interfaces, the spec's decision)
## Constraints
## Acceptance criteria (observable, testable)
## How to verify
\`\`\`

How to cut: one part per independently reviewable change; order by real dependencies only
(\`needs\`), so that as many parts as possible run in parallel; give parts that run at the same
time disjoint \`scope\`s (two parts touching one file is a merge conflict waiting); put shared
interfaces in an early part the others need; a \`pipeline\` (e.g. \`tdd\`: the tests written first, then the code, then an audit) where
the acceptance criteria are best pinned down by tests before any code. Never write \`verify:\`: every
part is judged by the project's own check (${g.verify ? `\`${g.verify}\`` : "the verify command in .ballador/config.yaml"}), and
a part carrying \`verify:\` is refused (only the person sets one). Write parts with \`write_part\` (validated on write:
the field is named when something is wrong) or as files; a part of a task that has started is
never changed. \`ballador plan SPEC\` has a headless conductor do this for a spec.

## Queue and read the queue
- \`ballador queue --dry-run\` (\`queue\` with \`dry_run: true\`): validates every part (front
  matter, ids, dependencies, cycles named member by member, profiles). Fix every problem.
- \`ballador queue\` (\`queue\`): loads them, all or nothing.
- \`ballador graph\` (\`graph\`), \`ballador next\` (\`next\`): what is ready, what waits on what,
  what awaits review (in merge order), what is stuck, predicted conflicts.
- \`ballador status\` (\`status\`), \`ballador show TASK\` (\`show\`), \`ballador sandbox denials\`
  (\`sandbox_denials\`): the table, one task's history, what the network allowlist refused.

## The verification pass (tasks in review)
Read each brief with \`ballador review TASK --no-diff\` (MCP: \`brief\`): the part, the spec, every
verification (Ballador's own clean run decides; the agent's summary and notes are claims, not
facts), files changed outside scope, files that decide verification, denials, conflicts. Compare
the change with the part's acceptance criteria and the spec's decision; check that the branch
updated the spec's History when it changed the design. Report to the person what you found, task
by task, with your recommendation (merge, or what to change). They merge.
`;
}

/** Claude Code's skill file: front matter (name, description) and the guide. */
export function skillFile(g: GuideInput): string {
  return `---
name: ${SKILL_NAME}
description: Prepare work for Ballador's parallel agents - draft living specs, cut them into parts (needs, scope), queue them, read next and review briefs. Use when asked to plan, spec, split work into tasks, queue work, or check what is next or in review. Never launches, stops, merges or marks done.
---
${conductorGuide(g)}`;
}

/** The guide as a marked section of AGENTS.md / GEMINI.md. */
export function guideSection(g: GuideInput): string {
  return `${GUIDE_START}\n${conductorGuide(g).trimEnd()}\n${GUIDE_END}\n`;
}

/**
 * `text` with its Ballador section replaced by `section` (or appended when it has none).
 * Returns null when the markers are broken (a start without its end, or several), so the
 * caller refuses rather than guessing what a person wrote.
 */
export function upsertSection(text: string, section: string): string | null {
  // The start marker is matched by its prefix: its explanation may change between versions.
  const starts = text.split(GUIDE_START_PREFIX).length - 1;
  const ends = text.split(GUIDE_END).length - 1;
  if (starts === 0 && ends === 0) {
    if (text.trim() === "") return section;
    return `${text.replace(/\n*$/, "\n\n")}${section}`;
  }
  if (starts !== 1 || ends !== 1) return null;
  const a = text.indexOf(GUIDE_START_PREFIX);
  const b = text.indexOf(GUIDE_END);
  if (b < a) return null;
  const after = text.slice(b + GUIDE_END.length).replace(/^\n/, "");
  return `${text.slice(0, a)}${section}${after}`;
}
