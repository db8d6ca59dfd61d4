/** The part's own verify command, when it is not the project's (issue 28): said, never hidden. */
import { h } from "./dom.js";

export interface PartVerify {
  part: string;
  project: string | null;
}

/** A warning at the head of the task page's Verification: text nodes only (the command is text). */
export function partVerifyNote(o: PartVerify | null | undefined): HTMLElement | null {
  if (!o) return null;
  return h(
    "p",
    { class: "warn part-verify", "data-part-verify": "" },
    "Verified by the part's own command ",
    h("code", null, o.part),
    ", not the project's ",
    o.project === null ? "(none set)" : h("code", null, o.project),
    ". Merging asks you to accept it (ballador merge --accept-part-verify).",
  );
}
