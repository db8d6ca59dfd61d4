/**
 * What every colour and mark on the page means (issue 34): the states' colours, the graph's
 * badges and outlines, the table's flags and pills. One list, shown under the graph.
 */
import { h } from "./dom.js";

const STATES: Array<[string, string]> = [
  ["queued", "waits for what it needs"],
  ["ready", "can start now"],
  ["running", "an agent works on it (moving outline)"],
  ["verifying", "its verify command runs"],
  ["review", "verified; ready for your review"],
  ["blocked", "the agent says it cannot go on"],
  ["failed", "out of attempts, or refused"],
  ["stopped", "stopped by a person"],
  ["merged", "merged into the base"],
  ["abandoned", "given up"],
];

const MARKS: Array<[string, string, string]> = [
  ["!", "badge-mark", "waiting for you: blocked, failed or stopped"],
  ["?", "badge-mark", "the agent asks you a question (its words on the node and in the table)"],
  ["done (N)", "mark-box", "a finished wave folded into one node; click it to open, or tick “done”"],
  ["+N more", "mark-box", "a crowded wave: the rest are in the table"],
  ["unverified", "pill unverified", "no verify command checked the work"],
  ["asks: …", "flag", "what the waiting agent asked"],
  [
    "waiting for you",
    "flag",
    "a decision is yours: an agent asks, or the task is blocked, failed or stopped",
  ],
  ["ready for review", "flag", "verified work waits for your verdict"],
  ["denied", "flag flag-denied", "the sandbox refused some of its requests"],
  ["retried", "flag", "more than one attempt"],
  ["own verify", "flag", "the part sets its own verify command"],
  ["…", "more-cue", "columns this screen has no room for: in the row's detail (click the row's ▸)"],
];

export function legend(): HTMLElement {
  return h(
    "details",
    { class: "legend-box" },
    h("summary", null, "Legend"),
    h(
      "div",
      { class: "legend" },
      STATES.map(([st, what]) =>
        h(
          "span",
          { class: "legend-item", "data-legend": st },
          h("span", { class: `swatch state-${st}` }),
          h("b", null, st),
          ` ${what}`,
        ),
      ),
    ),
    h(
      "div",
      { class: "legend" },
      MARKS.map(([mark, cls, what]) =>
        h("span", { class: "legend-item", "data-legend": mark }, h("span", { class: cls }, mark), ` ${what}`),
      ),
      h(
        "span",
        { class: "legend-item", "data-legend": "edge" },
        h("span", { class: "edge-mark" }),
        " needs (green: already merged)",
      ),
    ),
  );
}
