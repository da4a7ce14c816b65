/**
 * Parsing of one auth block with zod, turning the first problem into a
 * ConfigError that names the config file, the key path and what was expected.
 */
import { z } from "zod";
import { ConfigError, formatKeyPath } from "../../config-file/index.js";
import type { VerifierFactoryOptions } from "./verifier.js";

/** Where a block lives: the config file plus the key path of the block. */
export interface BlockLocation {
  /** Options of the factory (its `configPath` names the file). */
  readonly options: VerifierFactoryOptions;
  /** Key path of the block, e.g. `stripe_relay.hmac`. */
  readonly keyPath: string;
}

/** Throws a ConfigError for `key` (relative to the block) with `problem`. */
export function configError(at: BlockLocation, key: string, problem: string): ConfigError {
  const keyPath =
    key === "" ? at.keyPath : key.startsWith("[") ? `${at.keyPath}${key}` : `${at.keyPath}.${key}`;
  return new ConfigError(at.options.configPath, keyPath, problem);
}

/** Validates `value` against `schema`; throws a ConfigError for the first issue. */
export function parseBlock<T extends z.ZodType>(
  schema: T,
  value: unknown,
  at: BlockLocation,
): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = mostSpecific(result.error.issues[0]);
  if (issue === undefined) throw configError(at, "", "invalid value");
  if (issue.code === "unrecognized_keys") {
    const key = issue.keys[0] ?? "";
    throw configError(at, formatKeyPath([...issue.path, key]), "unknown key");
  }
  throw configError(at, formatKeyPath(issue.path), issue.message);
}

/**
 * For a union that failed, the issue of the branch that got furthest (one
 * whose type matched but whose content did not); otherwise the union's own.
 */
function mostSpecific(issue: z.core.$ZodIssue | undefined): z.core.$ZodIssue | undefined {
  if (issue === undefined || issue.code !== "invalid_union") return issue;
  for (const branch of issue.errors) {
    const candidate = mostSpecific(branch[0]);
    if (
      candidate !== undefined &&
      (candidate.code !== "invalid_type" || candidate.path.length > 0)
    ) {
      return { ...candidate, path: [...issue.path, ...candidate.path] };
    }
  }
  return issue;
}

/** A non-empty string. */
export function text() {
  return z.string({ error: "expected a string" }).min(1, { error: "expected a non-empty string" });
}

/** One of a fixed set of strings. */
export function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, { error: `expected one of ${values.join(", ")}` });
}

function numberFromText(value: unknown): unknown {
  // Values substituted from `{$VAR}` arrive as strings; accept plain decimal numbers.
  return typeof value === "string" && /^\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : value;
}

/** A positive integer (numbers given as decimal strings are accepted). */
export function positiveInt() {
  return z.preprocess(
    numberFromText,
    z
      .number({ error: "expected a number" })
      .int({ error: "expected an integer" })
      .positive({ error: "expected a positive number" }),
  );
}

/** A number between 0 and 1 inclusive (decimal strings accepted). */
export function unitInterval() {
  return z.preprocess(
    numberFromText,
    z
      .number({ error: "expected a number" })
      .min(0, { error: "expected a number between 0 and 1" })
      .max(1, { error: "expected a number between 0 and 1" }),
  );
}

/** A boolean (`"true"`/`"false"` strings accepted). */
export function flag() {
  return z.preprocess(
    (value) => (value === "true" ? true : value === "false" ? false : value),
    z.boolean({ error: "expected true or false" }),
  );
}

/** One string or a non-empty list of strings, returned as a list. */
export function textList() {
  return z
    .union([text(), z.array(text()).min(1, { error: "expected at least one value" })], {
      error: "expected a string or a list of strings",
    })
    .transform((value) => (typeof value === "string" ? [value] : value));
}
