/**
 * The note on a failed clean-checkout verification when the branch changed protected files
 * (the verify script and what it reads): verification used the base's version of them.
 */
export function tamperedNote(files: readonly string[]): string {
  if (files.length === 0) return "";
  const verb = files.length === 1 ? "differs" : "differ";
  return `\n\nNote: ${files.join(", ")} ${verb} from the base; verification always uses the base's version.`;
}
