/**
 * Quotes one word for a POSIX shell: single quotes keep everything literal, and a single
 * quote inside is written as '\'' (close, escaped quote, reopen).
 */
export function shellQuote(word: string): string {
  return `'${word.replaceAll("'", "'\\''")}'`;
}

/**
 * tmux splits its command line on arguments that END in ";" (command chaining) and turns a
 * trailing "\;" into ";". Putting a backslash before a final ";" makes tmux hand the
 * argument on exactly as given (also when it already ended in "\;").
 */
export function tmuxArg(arg: string): string {
  return arg.endsWith(";") ? `${arg.slice(0, -1)}\\;` : arg;
}

/** tmux expands formats (#{...}, and #(...) which runs a shell command) in some arguments. */
export function escapeFormat(text: string): string {
  return text.replaceAll("#", "##");
}
