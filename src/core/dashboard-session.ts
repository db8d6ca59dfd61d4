/**
 * The dashboard's session rules (issue 29), pure: what a session name may be, when a session
 * is idle, which sessions a new login evicts.
 */

export const NAME_MAX = 40;
/** Letters and digits of any script, plus space and . _ - ' @: no controls, no bidi overrides, no markup. */
const NAME_CHARS = /^[\p{L}\p{N} ._'@-]+$/u;

/** The session name, cleaned (NFC, trimmed, inner runs of spaces as one), or why it is refused. */
export function checkSessionName(raw: unknown): { ok: true; name: string } | { ok: false; why: string } {
  if (typeof raw !== "string") return { ok: false, why: "a name is text" };
  const name = raw.normalize("NFC").trim().replace(/ {2,}/g, " ");
  if (name.length === 0)
    return { ok: false, why: "give a name (who you are, as the task history should say)" };
  if ([...name].length > NAME_MAX)
    return { ok: false, why: `a name is at most ${NAME_MAX} characters (this one has ${[...name].length})` };
  if (!NAME_CHARS.test(name))
    return {
      ok: false,
      why: "a name may hold letters, digits, spaces and . _ - ' @ only",
    };
  return { ok: true, name };
}

/** A session unused for idleMs or longer has ended. Times are ISO strings or epoch ms. */
export function isIdle(lastSeen: string, now: number, idleMs: number): boolean {
  return now - Date.parse(lastSeen) >= idleMs;
}

/**
 * The sessions a new login ends when `cap` sessions exist: the least recently seen first, so the
 * new login always gets in (whoever holds the token can log in anyway; refusing would let a token
 * holder lock the person out, evicting at worst logs a stale browser out).
 */
export function toEvict<T extends { lastSeen: string }>(sessions: readonly T[], cap: number): T[] {
  const over = sessions.length - (cap - 1);
  if (over <= 0) return [];
  return [...sessions].sort((a, b) => a.lastSeen.localeCompare(b.lastSeen)).slice(0, over);
}

/** How an action from the page is attributed in the task's history. */
export function dashboardActor(name: string | null, sessionId: string): string {
  return name ? `${name} (dashboard)` : `dashboard session ${sessionId}`;
}

/** Whether an event's actor is a person on the dashboard (named, unnamed, or before names). */
export function isDashboardActor(actor: string): boolean {
  return actor === "dashboard" || actor.endsWith(" (dashboard)") || actor.startsWith("dashboard session ");
}
