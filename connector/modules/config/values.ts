/**
 * zod building blocks for config values. Values substituted from `{$VAR}`
 * placeholders are strings, so numeric and boolean keys also accept their
 * canonical string spelling (`"6379"`, `"true"`), and nothing looser.
 */
import { z } from "zod";

/** An integer, or a string of decimal digits. */
export const intLike = z.union([
  z.number().int(),
  z
    .string()
    .regex(/^-?\d+$/, "expected an integer")
    .transform((value) => Number(value)),
]);

/** A finite number, or a string spelling one. */
export const numberLike = z.union([
  z.number().finite(),
  z
    .string()
    .regex(/^-?\d+(\.\d+)?$/, "expected a number")
    .transform((value) => Number(value)),
]);

/** A boolean, or the strings `"true"` / `"false"`. */
export const boolLike = z.union([
  z.boolean(),
  z.enum(["true", "false"]).transform((value) => value === "true"),
]);

/** A TCP port, 1–65535. */
export const portLike = intLike.pipe(z.number().min(1).max(65_535));

/** Seconds given as a positive number (fractions allowed). */
export const secondsLike = numberLike.pipe(z.number().positive());

/** A non-empty string. */
export const nonEmpty = z.string().min(1, "must not be empty");
