/**
 * Quotes one word for a POSIX shell: single quotes keep everything literal, and a single
 * quote inside is written as '\'' (close, escaped quote, reopen).
 */
export function shellQuote(word: string): string {
  return `'${word.replaceAll("'", "'\\''")}'`;
}

/** An argv as one shell command line that runs exactly that argv. */
export function shellJoin(argv: readonly string[]): string {
  return argv.map(shellQuote).join(" ");
}
