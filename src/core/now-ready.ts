/**
 * The line after a merge (or a sync that merged) naming the tasks it made ready. With a
 * `launch --watch` conducting, the person need not launch: the watcher starts them.
 */
export function nowReadyLine(ids: readonly string[], watcher: boolean): string | null {
  if (ids.length === 0) return null;
  return watcher
    ? `Now ready: ${ids.join(", ")}; the running \`ballador launch --watch\` starts ${ids.length === 1 ? "it" : "them"}`
    : `Now ready: ${ids.join(", ")} (ballador launch)`;
}
