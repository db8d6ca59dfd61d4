/**
 * The face of long steps, on stderr so stdout keeps the command's result (one JSON document with
 * --json): a spinner redrawn in place on a terminal, a line now and then in a pipe, NDJSON
 * progress objects with --json. What to say and when is src/core/progress.ts.
 */
import {
  type Progress,
  type ProgressMode,
  type ProgressStep,
  progressDue,
  progressObject,
  progressText,
  spinnerFrame,
} from "../core/progress.js";
import { block, color, line } from "./output.js";

export interface ProgressWriter {
  progress: Progress;
  /** Before other output to the same terminal: the spinner line is cleared (it comes back on the next tick). */
  interrupt(): void;
  /** A use case's `say` line on stdout (dim), the spinner cleared first; nothing with --json. */
  say: ((text: string) => void) | undefined;
}

export function progressWriter(opts: {
  json: boolean;
  stream?: NodeJS.WriteStream;
  now?: () => number;
}): ProgressWriter {
  const stream = opts.stream ?? process.stderr;
  const now = opts.now ?? Date.now;
  const mode: ProgressMode = opts.json ? "json" : stream.isTTY === true ? "tty" : "pipe";
  let drawn = false;
  const clear = () => {
    if (drawn) stream.write("\r\x1b[K");
    drawn = false;
  };
  const progress: Progress = (step, first) => {
    const started = now();
    let message = first;
    let lastShown: number | null = null;
    const show = (done: boolean) => {
      const elapsed = now() - started;
      if (mode === "json") stream.write(`${JSON.stringify(progressObject(step, message, elapsed, done))}\n`);
      else if (mode === "pipe") stream.write(`${line(progressText(message, elapsed))}\n`);
      else {
        // One terminal row: a long message is cut by the terminal's width, never wrapped.
        const text = `${spinnerFrame(elapsed)} ${line(progressText(message, elapsed))}`;
        stream.write(`\r\x1b[K${text.slice(0, Math.max(10, (stream.columns ?? 80) - 1))}`);
        drawn = true;
      }
      lastShown = elapsed;
    };
    const timer = setInterval(
      () => {
        if (progressDue(mode, now() - started, lastShown)) show(false);
      },
      mode === "tty" ? 100 : 250,
    );
    // A step never keeps the process alive on its own.
    timer.unref();
    const handle: ProgressStep = {
      update(next) {
        message = next;
      },
      end() {
        clearInterval(timer);
        if (mode === "tty") clear();
        else if (mode === "json" && lastShown !== null) show(true);
      },
    };
    return handle;
  };
  const interrupt = () => (mode === "tty" ? clear() : undefined);
  const say =
    mode === "json"
      ? undefined
      : (text: string) => {
          interrupt();
          console.log(color.dim(block(text)));
        };
  return { progress, interrupt, say };
}
