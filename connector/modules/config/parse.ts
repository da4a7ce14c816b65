/**
 * Validation with zod that reports the first problem as a ConfigError: one
 * line naming the file, the key path and what was expected.
 */
import type { z } from "zod";
import { ConfigError, formatKeyPath } from "../../../config-file/index.js";

/** Where a value sits: the file it came from and its key path inside the file. */
export interface ConfigLocation {
  /** File name as given to the connector, e.g. `/etc/wc/webhooks.json`. */
  readonly file: string;
  /** Key path, e.g. `stripe_relay.module-config`. */
  readonly keyPath: string;
}

/** The location of a key below `location`. */
export function childLocation(location: ConfigLocation, key: string | number): ConfigLocation {
  const keyPath =
    typeof key === "number"
      ? `${location.keyPath}[${key}]`
      : location.keyPath === ""
        ? key
        : `${location.keyPath}.${key}`;
  return { file: location.file, keyPath };
}

/** `file: keyPath` as shown in errors and events. */
export function formatLocation(location: ConfigLocation): string {
  return location.keyPath === "" ? location.file : `${location.file}: ${location.keyPath}`;
}

/** Throws a ConfigError for `problem` at `location`. */
export function configError(location: ConfigLocation, problem: string, cause?: unknown): never {
  throw new ConfigError(
    location.file,
    location.keyPath,
    problem,
    cause === undefined ? undefined : { cause },
  );
}

/**
 * Parses `value` with `schema`; the first issue becomes a ConfigError whose
 * key path is `location.keyPath` joined with the issue's path.
 */
export function parseConfig<S extends z.ZodType>(
  schema: S,
  value: unknown,
  location: ConfigLocation,
): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (issue === undefined) configError(location, "invalid value");
  const inner = formatKeyPath(issue.path);
  const keyPath =
    inner === ""
      ? location.keyPath
      : location.keyPath === ""
        ? inner
        : inner.startsWith("[")
          ? `${location.keyPath}${inner}`
          : `${location.keyPath}.${inner}`;
  let problem = issue.message;
  if (issue.code === "unrecognized_keys") problem = `unknown key(s): ${issue.keys.join(", ")}`;
  throw new ConfigError(location.file, keyPath, problem);
}
