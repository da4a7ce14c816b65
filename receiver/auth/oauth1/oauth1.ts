/**
 * The `oauth1` block (RFC 5849): HMAC-SHA1, HMAC-SHA256 or PLAINTEXT
 * signatures over the full request (method, URL with query, form body
 * parameters), a timestamp window and a nonce store refusing replays.
 */
import { createHmac } from "node:crypto";
import { z } from "zod";
import { parseAuthParams } from "../auth-params.js";
import { type BlockLocation, flag, oneOf, parseBlock, positiveInt, text } from "../block-config.js";
import { digestEquals, secretEquals } from "../compare.js";
import { authorizationCredentials, mediaType } from "../request-parts.js";
import { authKeyPrefix } from "../state/redis-client.js";
import {
  createMemoryReplayStore,
  createRedisReplayStore,
  type ReplayStore,
} from "../state/replay-store.js";
import type { IngestRequest, Verifier, VerifyResult } from "../verifier.js";
import { baseStringUri, formPairs, oauthEncode, signatureBaseString } from "./base-string.js";

const methods = ["HMAC-SHA1", "HMAC-SHA256", "PLAINTEXT"] as const;

const schema = z.strictObject({
  consumer_key: text(),
  consumer_secret: text(),
  /** @default "" (two-legged requests) */
  token_secret: z.string({ error: "expected a string" }).default(""),
  /** Expected `oauth_token`, when the sender must use one particular token. */
  token: text().optional(),
  /** @default "HMAC-SHA1" */
  signature_method: oneOf(methods).default("HMAC-SHA1"),
  /** @default true */
  verify_timestamp: flag().default(true),
  /** Maximum clock difference, seconds. @default 300 */
  timestamp_window: positiveInt().default(300),
});

/** Splits the request's parameters into protocol (`oauth_*` from the header) and others. */
function collectParameters(
  request: IngestRequest,
): { readonly protocol: Map<string, string>; readonly pairs: Array<[string, string]> } | undefined {
  const pairs: Array<[string, string]> = formPairs(request.query);
  if (mediaType(request) === "application/x-www-form-urlencoded") {
    pairs.push(...formPairs(request.body.toString("utf8")));
  }
  const credentials = authorizationCredentials(request, "OAuth");
  const protocol = new Map<string, string>();
  if (credentials !== undefined) {
    const header = parseAuthParams(credentials);
    if (header === undefined) return undefined;
    for (const [name, value] of header) {
      if (name === "realm") continue;
      let decoded: string;
      try {
        decoded = decodeURIComponent(value);
      } catch {
        return undefined;
      }
      protocol.set(name, decoded);
      if (name !== "oauth_signature") pairs.push([name, decoded]);
    }
  } else {
    // §3.5.2/3.5.3: protocol parameters may travel in the query or form body instead.
    for (const [name, value] of pairs) if (name.startsWith("oauth_")) protocol.set(name, value);
  }
  return { protocol, pairs: pairs.filter(([name]) => name !== "oauth_signature") };
}

/** Builds the `oauth1` verifier. Throws ConfigError for a bad block. */
export function createOAuth1Verifier(
  block: unknown,
  at: BlockLocation,
  webhookId: string,
): Verifier {
  const config = parseBlock(schema, block, at);
  const now = at.options.now ?? Date.now;
  const windowMs = config.timestamp_window * 1000;
  const signingKey = `${oauthEncode(config.consumer_secret)}&${oauthEncode(config.token_secret)}`;
  const nonces: ReplayStore =
    at.options.redisUrl === undefined
      ? createMemoryReplayStore({ now })
      : createRedisReplayStore(at.options.redisUrl, authKeyPrefix(webhookId, "oauth1"));
  const fail = (reason: string): VerifyResult => ({
    ok: false,
    reason: `oauth1: ${reason}`,
    status: 401,
  });

  const verify = async (request: IngestRequest): Promise<VerifyResult> => {
    const collected = collectParameters(request);
    if (collected === undefined) return fail("malformed OAuth parameters");
    const { protocol, pairs } = collected;
    const signature = protocol.get("oauth_signature");
    if (signature === undefined) return fail("missing oauth_signature");
    if (protocol.get("oauth_signature_method") !== config.signature_method) {
      return fail(`signature method must be ${config.signature_method}`);
    }
    const version = protocol.get("oauth_version");
    if (version !== undefined && version !== "1.0") return fail("oauth_version must be 1.0");
    if (!secretEquals(protocol.get("oauth_consumer_key") ?? "", config.consumer_key)) {
      return fail("unknown consumer key");
    }
    if (
      config.token !== undefined &&
      !secretEquals(protocol.get("oauth_token") ?? "", config.token)
    ) {
      return fail("unknown token");
    }

    if (config.signature_method === "PLAINTEXT") {
      if (!secretEquals(signature, signingKey)) return fail("signature does not match");
    } else {
      const uri = baseStringUri(request.origin, request.path);
      if (uri === undefined) return fail("request origin is not a URL");
      const base = signatureBaseString(request.method, uri, pairs);
      const algorithm = config.signature_method === "HMAC-SHA1" ? "sha1" : "sha256";
      const expected = createHmac(algorithm, signingKey).update(base).digest();
      if (!digestEquals(Buffer.from(signature, "base64"), expected))
        return fail("signature does not match");
    }

    const timestamp = protocol.get("oauth_timestamp");
    const nonce = protocol.get("oauth_nonce");
    if (config.verify_timestamp) {
      if (timestamp === undefined || !/^\d{1,12}$/.test(timestamp))
        return fail("missing or malformed oauth_timestamp");
      const skewMs = now() - Number(timestamp) * 1000;
      if (skewMs > windowMs) return fail("oauth_timestamp is too old");
      if (-skewMs > windowMs) return fail("oauth_timestamp is in the future");
    }
    if (config.signature_method !== "PLAINTEXT") {
      if (nonce === undefined || nonce === "") return fail("missing oauth_nonce");
      // A nonce only has to stay unique while its timestamp is acceptable (§3.3).
      const use = await nonces.use(
        `${config.consumer_key}:${timestamp ?? ""}:${nonce}`,
        2 * windowMs,
      );
      if (use === "replayed") return fail("oauth_nonce already used (replay)");
      if (use === "unavailable") return fail("nonce store unavailable");
    }
    return { ok: true };
  };
  return { method: "oauth1", afterAuth: false, verify, close: () => nonces.close() };
}
