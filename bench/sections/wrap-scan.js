/**
 * A wrapped step's cost before and after issue 35's change to the sandbox runtime's
 * dangerous-file scan, side by side in one run: wrapShell (and wrap + run of `true`) from the
 * run's empty scratch folder (now: answered without rg) and from the same folder holding one
 * file (rg runs, as it did at every wrap before). In a child bundled with the runtime as
 * dist/bundle is, so the measured code is the shipped one.
 */
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { BENCH_DIR, DIST, figure, ROOT, run, stats, tempDir } from "../lib.js";

const ROUNDS = 30;

async function bundleChild() {
  const { bundleWithRuntime } = await import(
    pathToFileURL(join(ROOT, "scripts", "sandbox-runtime-plugin.mjs")).href
  );
  return bundleWithRuntime(
    ROOT,
    join(BENCH_DIR, "wrap-child.js"),
    join(DIST, "bundle", "bench-wrap-child.js"),
  );
}

export const section = {
  name: "wrap-scan",
  order: 62,
  description: "per wrapped step: wrap (and wrap + run true) without the rg scan vs with it, in turn",
  async run(ctx) {
    const child = await bundleChild();
    const r = JSON.parse(run(process.execPath, [child, tempDir("ballador-wrap-"), String(ROUNDS)]).stdout);
    const s = {
      emptyWrap: stats(r.emptyWrap, r.emptyCpu),
      scannedWrap: stats(r.scannedWrap, r.scannedCpu),
      emptyStep: stats(r.emptyStep),
      scannedStep: stats(r.scannedStep),
    };
    const saved = (a, b) => `${(b.median - a.median).toFixed(1)} ms less than with the scan`;
    ctx.log(
      `wrap ${s.scannedWrap.median.toFixed(1)} -> ${s.emptyWrap.median.toFixed(1)} ms; scans ${JSON.stringify(r.scans)}`,
    );
    return [
      figure("wrap", "wrapShell, rg scan each wrap (before)", s.scannedWrap),
      figure("wrap", "wrapShell, empty wrap folder, no rg (after)", s.emptyWrap, {
        note: saved(s.emptyWrap, s.scannedWrap),
      }),
      figure("wrap", "wrap + run `true` sandboxed (before)", s.scannedStep),
      figure("wrap", "wrap + run `true` sandboxed (after)", s.emptyStep, {
        note: saved(s.emptyStep, s.scannedStep),
      }),
    ];
  },
};
