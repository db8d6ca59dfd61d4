/**
 * Needs you (issue 15): the run's agent waits for a person, said by its own hook (a "waiting"
 * report) or seen on its screen (a question on the last line after needs_you.quiet of
 * silence). Recorded on the run for status, next and show until it moves again (new output,
 * any other report); after needs_you.nudge_after Ballador types the nudge into its terminal,
 * once. idle_timeout still ends the attempt. What it asked is the agent's text: stored
 * bounded, escaped wherever shown.
 */
import type { NeedsYouPolicy } from "../../adapters/runfolder/index.js";
import { Tmux } from "../../adapters/tmux/index.js";
import { boundAsked, screenQuestion } from "../../core/needs-you.js";
import { terminalLine } from "../../core/terminal-text.js";
import { typeLine } from "../live-session.js";
import { type RunContext, say } from "./context.js";
import { notifyNeedsYou } from "./notify.js";

export class NeedsYou {
  private waiting: { since: number; size: number; source: "hook" | "screen" } | null = null;
  private nudged = false;
  private quietUntil = 0;
  /**
   * The log's size when the screen was last read and showed no question. The screen changes
   * only with output, which grows the log: until it grows, reading it again would say the same.
   */
  private readUnasked: number | null = null;
  private readonly policy: NeedsYouPolicy | undefined;
  private readonly tmux: Tmux | null;
  private readonly session: string;

  constructor(private readonly ctx: RunContext) {
    const { spec, store } = ctx;
    this.policy = spec.role === "reviewer" ? undefined : spec.needsYou;
    this.session = store.run(spec.runId)?.session ?? "";
    this.tmux = this.policy && this.session ? new Tmux({ socket: this.policy.tmuxSocket }) : null;
  }

  /** True while the log grows by Ballador's own doing (its lines, the nudge's echo). */
  ownOutput(): boolean {
    return Date.now() < this.quietUntil;
  }

  wait(asked: string, source: "hook" | "screen", size?: number): void {
    if (!this.policy) return;
    const { store, spec } = this.ctx;
    // Already waiting: the first words of the spell say what it asked. A later hook in the same
    // spell (Qwen Code's and Claude Code's idle Notification after their Stop) only repeats
    // that it waits ("… is waiting for your input").
    if (this.waiting) return;
    const text = boundAsked(asked);
    this.waiting = { since: Date.now(), size: size ?? 0, source };
    const since = new Date().toISOString();
    store.updateRun(spec.runId, { waitingSince: since, waitingFor: text });
    this.say(`needs you: ${terminalLine(text)} (ballador attach ${spec.taskId})`);
    const title = store.task(spec.taskId)?.title ?? null;
    notifyNeedsYou(this.ctx.project, spec, since, text, title, (line) => this.say(line));
  }

  /** Something new from the agent: a report, or (for a question seen on screen) output. */
  moved(): void {
    if (!this.waiting) return;
    this.waiting = null;
    this.ctx.store.updateRun(this.ctx.spec.runId, { waitingSince: null, waitingFor: null });
  }

  output(size: number): void {
    // A hook's "waiting" ends with its "moving" (or another report); a TUI may redraw a little
    // after its turn, so only a screenful of new output counts as moving again.
    if (this.waiting && (this.waiting.source === "screen" || size - this.waiting.size > 4096)) this.moved();
  }

  async tick(lastActivity: number, size: number): Promise<void> {
    const p = this.policy;
    if (!p || !this.tmux) return;
    const now = Date.now();
    // Once per quiet screen, not every poll: a `tmux capture-pane` process each 250 ms of a quiet
    // agent was most of an idle supervisor's CPU (issue 35).
    if (!this.waiting && p.quietMs > 0 && now - lastActivity > p.quietMs && this.readUnasked !== size) {
      const screen = await this.tmux.capturePane(this.session).catch(() => null);
      const asked = screen === null ? null : screenQuestion(screen, p.pattern);
      if (asked) this.wait(asked, "screen", size);
      // A failed read is tried again at the next poll.
      else if (screen !== null) this.readUnasked = size;
    }
    if (this.waiting && !this.nudged && p.nudgeAfterMs > 0 && now - this.waiting.since > p.nudgeAfterMs)
      await this.nudge(this.tmux, p);
  }

  private async nudge(tmux: Tmux, p: NeedsYouPolicy): Promise<void> {
    const { store, spec } = this.ctx;
    this.nudged = true;
    this.say("nobody answers here: typing the unattended nudge into the agent's terminal");
    this.quietUntil = Date.now() + 3000;
    try {
      await typeLine(tmux, this.session, p.nudge);
      store.updateRun(spec.runId, { nudgedAt: new Date().toISOString() });
      store.addNote(spec.taskId, spec.runId, "system", "needs you: nudged (nobody answered)");
    } catch (err) {
      this.say(`could not nudge: ${(err as Error).message}`);
    }
  }

  private say(text: string): void {
    this.quietUntil = Math.max(this.quietUntil, Date.now() + 1000);
    say(text);
  }
}
