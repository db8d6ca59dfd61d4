/**
 * `status --json` and `next --json` without the command tree (docs/specs/0017-cost-startup.md):
 * bin/ballador.js comes here for exactly those argument lists, so the two reads people and
 * conductors run most load neither commander nor the other commands' code. The documents are
 * the ones the command tree prints (test/cli/read-fast.test.ts compares them byte for byte).
 */
import { describeFailure, exitWithFailure } from "./failure.js";
import { endOnClosedPipe, printJson } from "./output.js";
import { withProjectAt } from "./project-scope.js";

/** `next`'s page without --limit: the first 50 ready and 50 waiting tasks. */
export const NEXT_LIMIT = 50;

export type FastRead = "status" | "next";

export async function runFastRead(command: FastRead): Promise<void> {
  endOnClosedPipe();
  try {
    const observe = await import("../observe/reading/index.js");
    const report = await withProjectAt<unknown>(process.cwd(), (p) =>
      command === "status" ? observe.statusReport(p) : observe.nextWithConflicts(p, { limit: NEXT_LIMIT }),
    );
    printJson(report);
  } catch (err) {
    exitWithFailure(err, describeFailure(err), { json: true });
  }
}
