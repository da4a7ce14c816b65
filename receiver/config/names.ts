/** Naming rules shared by webhook ids and channel names (SPEC §3.1). */

/** Allowed shape of a webhook id or channel name. `..` is refused separately. */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** What a valid name looks like, for error messages. */
export const NAME_RULE =
  "1-64 characters of A-Z a-z 0-9 . _ -, starting with a letter or digit, without '..'";

/**
 * true when `name` is a valid webhook id or channel name: it matches
 * NAME_PATTERN and contains no `..` (names end up in file paths, stream
 * subjects and URLs, where `..` is a traversal hazard).
 */
export function isValidName(name: string): boolean {
  return NAME_PATTERN.test(name) && !name.includes("..");
}
