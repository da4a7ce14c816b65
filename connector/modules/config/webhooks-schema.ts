/**
 * webhooks.json as the connector reads it in module mode: the gateway
 * format of the seed. An entry names one `module` (with `connection` and
 * `module-config`) or a `chain` of them. Receiver-side keys (auth blocks,
 * `rate_limit`, `json_schema`) may be present and are ignored here: the
 * same file can serve both sides.
 */
import { z } from "zod";
import { boolLike, intLike, nonEmpty, numberLike, secondsLike } from "./values.js";

/** Webhook ids as the receiver accepts them (SPEC §3.1). */
export const webhookIdPattern = /^(?!.*\.\.)[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

const moduleConfig = z.record(z.string(), z.unknown());

/** Local retries of one chain item; only retryable failures are retried. */
export const chainRetrySchema = z.strictObject({
  /** @default true (when the block is present) */
  enabled: boolLike.default(true),
  /** Attempts in total, the first included. @default 3 */
  max_attempts: intLike.pipe(z.number().min(1).max(20)).default(3),
  /** Seconds before the first retry. @default 1 */
  initial_delay: numberLike.pipe(z.number().min(0)).default(1),
  /** Upper bound of one delay in seconds. @default 60 */
  max_delay: numberLike.pipe(z.number().min(0)).default(60),
  /** Factor between consecutive delays. @default 2 */
  backoff_multiplier: numberLike.pipe(z.number().min(1)).default(2),
});
/** Parsed per-item retry settings. */
export type ChainRetry = z.output<typeof chainRetrySchema>;

/** One chain item in its detailed form. */
export const chainItemObjectSchema = z.strictObject({
  module: nonEmpty,
  connection: nonEmpty.optional(),
  "module-config": moduleConfig.optional(),
  retry: chainRetrySchema.optional(),
});

/** `chain-config`. */
export const chainConfigSchema = z.strictObject({
  /** `sequential` or `parallel`. @default "sequential" */
  execution: z.enum(["sequential", "parallel"]).default("sequential"),
  /** Failed items do not block the ack (they are reported in events). @default true */
  continue_on_error: boolLike.default(true),
  /** Seconds one item attempt may take before it counts as a retryable failure. @default 30 */
  timeout: secondsLike.default(30),
});
/** Parsed chain settings. */
export type ChainConfig = z.output<typeof chainConfigSchema>;

/** One webhooks.json entry. */
export const webhookEntrySchema = z
  .looseObject({
    /** `json` or `blob`. @default "json" */
    data_type: z.enum(["json", "blob"]).default("json"),
    module: nonEmpty.optional(),
    connection: nonEmpty.optional(),
    "module-config": moduleConfig.optional(),
    chain: z
      .array(z.union([nonEmpty, chainItemObjectSchema]))
      .min(1, "a chain needs at least one item")
      .max(20, "a chain has at most 20 items")
      .optional(),
    "chain-config": chainConfigSchema.optional(),
  })
  .refine((entry) => entry.module !== undefined || entry.chain !== undefined, {
    message: "needs a 'module' or a 'chain'",
  });
/** A parsed entry. */
export type WebhookEntry = z.output<typeof webhookEntrySchema>;

/** The whole file: webhook id → entry. */
export const webhooksFileSchema = z.record(
  z.string().regex(webhookIdPattern, "invalid webhook id"),
  webhookEntrySchema,
);
