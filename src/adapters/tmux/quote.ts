export { shellQuote } from "../../core/shell.js";

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
