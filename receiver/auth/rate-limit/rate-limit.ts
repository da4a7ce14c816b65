/**
 * The `rate_limit` block: at most `max_requests` per `window_seconds` for
 * one webhook. It runs after authentication (afterAuth), so only requests
 * that proved who they are spend the budget; over budget answers 429 with
 * `Retry-After`.
 */
import { z } from "zod";
import { type BlockLocation, parseBlock, positiveInt } from "../block-config.js";
import { authKeyPrefix } from "../state/redis-client.js";
import type { Verifier, VerifyResult } from "../verifier.js";
import {
  createMemoryWindowStore,
  createRedisWindowStore,
  type WindowStore,
} from "./window-store.js";

const schema = z.strictObject({
  max_requests: positiveInt(),
  window_seconds: positiveInt(),
});

/** Builds the `rate_limit` verifier; shared through Redis when `options.redisUrl` is set. */
export function createRateLimitVerifier(
  block: unknown,
  at: BlockLocation,
  webhookId: string,
): Verifier {
  const config = parseBlock(schema, block, at);
  const windowMs = config.window_seconds * 1000;
  const store: WindowStore =
    at.options.redisUrl === undefined
      ? createMemoryWindowStore(at.options.now === undefined ? {} : { now: at.options.now })
      : createRedisWindowStore(at.options.redisUrl, authKeyPrefix(webhookId, "rate"));
  const verify = async (): Promise<VerifyResult> => {
    const hit = await store.hit("window", windowMs);
    if (!hit.ok) {
      return {
        ok: false,
        reason: `rate_limit: ${hit.reason}`,
        status: 503,
        headers: { "Retry-After": "5" },
      };
    }
    if (hit.count <= config.max_requests) return { ok: true };
    const retryAfter = String(Math.max(1, Math.ceil(hit.resetInMs / 1000)));
    return {
      ok: false,
      reason: `rate_limit: ${config.max_requests} requests per ${config.window_seconds} s exceeded`,
      status: 429,
      headers: { "Retry-After": retryAfter },
      message: `rate limit of ${config.max_requests} requests per ${config.window_seconds} s exceeded`,
    };
  };
  return { method: "rate_limit", afterAuth: true, verify, close: () => store.close() };
}
