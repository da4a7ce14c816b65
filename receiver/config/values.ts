/**
 * zod building blocks for config values. Numbers and booleans also accept
 * their string spelling, because a `{$VAR}` placeholder always yields a string.
 */
import { z } from "zod";
import { isValidName, NAME_RULE } from "./names.js";

const DECIMAL = /^\d+(?:\.\d+)?$/;

function required(expected: string) {
  return (issue: { input: unknown }) => (issue.input === undefined ? "is required" : expected);
}

function numberFromString(value: unknown): unknown {
  return typeof value === "string" && DECIMAL.test(value) ? Number(value) : value;
}

/** A positive integer up to `max`, given as a number or a numeric string. */
export function positiveInteger(max: number = Number.MAX_SAFE_INTEGER) {
  const bound = max === Number.MAX_SAFE_INTEGER ? "" : ` up to ${max}`;
  const expected = `expected a positive integer${bound} (a number or a numeric string)`;
  return z.preprocess(
    numberFromString,
    z
      .number({ error: required(expected) })
      .int({ error: expected })
      .positive({ error: expected })
      .max(max, { error: expected }),
  );
}

/** A positive number of seconds (fractions allowed) up to `max`, as a number or numeric string. */
export function positiveSeconds(max: number) {
  const expected = `expected a positive number of seconds up to ${max} (a number or a numeric string)`;
  return z.preprocess(
    numberFromString,
    z
      .number({ error: required(expected) })
      .positive({ error: expected })
      .max(max, { error: expected }),
  );
}

/** true/false, also as the strings "true"/"false". */
export function booleanLike() {
  const expected = "expected true or false";
  return z.preprocess(
    (value) => (value === "true" ? true : value === "false" ? false : value),
    z.boolean({ error: required(expected) }),
  );
}

/** A webhook id or channel name (see names.ts). */
export function nameString() {
  const expected = `expected a name of ${NAME_RULE}`;
  return z
    .string({ error: required(expected) })
    .refine(isValidName, { error: `invalid name: ${NAME_RULE}` });
}

/** A non-empty string. */
export function nonEmptyString() {
  const expected = "expected a non-empty string";
  return z.string({ error: required(expected) }).min(1, { error: expected });
}
