/** Turns the first zod issue of a failed parse into a one-line ConfigError. */
import type { z } from "zod";
import { ConfigError, formatKeyPath } from "../../config-file/index.js";

/** Per-parse messages for issues whose schema sets none; never quotes the input. */
export function configErrorMap(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.code === "invalid_type") {
    if (issue.input === undefined) return "is required";
    return issue.expected === "object" ? "expected an object" : `expected ${issue.expected}`;
  }
  return undefined;
}

/**
 * Builds the ConfigError for the first issue, its key path prefixed with
 * `prefix`. An unknown key is named in the path itself, with the keys that
 * are allowed there.
 */
export function issueToConfigError(
  file: string,
  prefix: readonly PropertyKey[],
  error: z.ZodError,
  allowedKeys: readonly string[] = [],
): ConfigError {
  const issue = error.issues[0];
  if (issue === undefined) return new ConfigError(file, formatKeyPath(prefix), "is invalid");
  const path = [...prefix, ...issue.path];
  if (issue.code === "unrecognized_keys") {
    const key = issue.keys[0] ?? "";
    const allowed = allowedKeys.length > 0 ? ` (allowed: ${allowedKeys.join(", ")})` : "";
    return new ConfigError(file, formatKeyPath([...path, key]), `unknown key${allowed}`);
  }
  return new ConfigError(file, formatKeyPath(path), issue.message);
}
