/**
 * The `digest_auth` block (RFC 7616, qop=auth, MD5 or SHA-256). A request
 * without valid credentials gets a 401 with a fresh nonce in the
 * `WWW-Authenticate` challenge; each nonce count is accepted once, so a
 * captured request cannot be replayed.
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import { parseAuthParams } from "../auth-params.js";
import { type BlockLocation, oneOf, parseBlock, positiveInt, text } from "../block-config.js";
import { secretEquals } from "../compare.js";
import { authorizationCredentials } from "../request-parts.js";
import { authKeyPrefix } from "../state/redis-client.js";
import {
  createMemoryReplayStore,
  createRedisReplayStore,
  type ReplayStore,
} from "../state/replay-store.js";
import type { IngestRequest, Verifier, VerifyResult } from "../verifier.js";
import { createDigestNonces } from "./digest-nonce.js";

const algorithms = ["MD5", "SHA-256"] as const;
/** A Digest algorithm. */
export type DigestAlgorithm = (typeof algorithms)[number];

const schema = z.strictObject({
  username: text(),
  password: text(),
  /** @default "webhook" */
  realm: text().default("webhook"),
  /** @default "MD5" (the gateway format's default; SHA-256 is stronger) */
  algorithm: oneOf(algorithms).default("MD5"),
  /** Only `auth` is supported: it carries the nonce count that makes replays detectable. */
  qop: oneOf(["auth"]).default("auth"),
  /** Lifetime of an issued nonce. @default 300 */
  nonce_ttl_seconds: positiveInt().default(300),
});

const hash = (algorithm: DigestAlgorithm, value: string) =>
  createHash(algorithm === "MD5" ? "md5" : "sha256")
    .update(value, "utf8")
    .digest("hex");

/** The `response` value of RFC 7616 §3.4.1 for qop=auth. */
export function digestResponse(input: {
  algorithm: DigestAlgorithm;
  username: string;
  realm: string;
  password: string;
  method: string;
  uri: string;
  nonce: string;
  nc: string;
  cnonce: string;
}): string {
  const ha1 = hash(input.algorithm, `${input.username}:${input.realm}:${input.password}`);
  const ha2 = hash(input.algorithm, `${input.method}:${input.uri}`);
  return hash(input.algorithm, `${ha1}:${input.nonce}:${input.nc}:${input.cnonce}:auth:${ha2}`);
}

const quote = (value: string) => `"${value.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;

/** Builds the `digest_auth` verifier. Throws ConfigError for a bad block. */
export function createDigestAuthVerifier(
  block: unknown,
  at: BlockLocation,
  webhookId: string,
): Verifier {
  const config = parseBlock(schema, block, at);
  const now = at.options.now ?? Date.now;
  const ttlMs = config.nonce_ttl_seconds * 1000;
  const nonces = createDigestNonces(
    `${config.realm}\0${config.username}\0${config.password}`,
    ttlMs,
    now,
  );
  const replays: ReplayStore =
    at.options.redisUrl === undefined
      ? createMemoryReplayStore({ now })
      : createRedisReplayStore(at.options.redisUrl, authKeyPrefix(webhookId, "digest"));

  const challenge = (stale: boolean) => ({
    "WWW-Authenticate": `Digest realm=${quote(config.realm)}, qop="auth", algorithm=${config.algorithm}, nonce="${nonces.issue()}"${stale ? ", stale=true" : ""}`,
  });
  const fail = (reason: string, stale = false): VerifyResult => ({
    ok: false,
    reason: `digest_auth: ${reason}`,
    status: 401,
    headers: challenge(stale),
  });
  /** A first request without credentials, or an expired nonce: the normal challenge round. */
  const challengeOnly = (reason: string, stale = false): VerifyResult => ({
    ok: false,
    reason: `digest_auth: ${reason}`,
    status: 401,
    headers: challenge(stale),
    challenge: true,
  });

  const verify = async (request: IngestRequest): Promise<VerifyResult> => {
    const credentials = authorizationCredentials(request, "Digest");
    if (credentials === undefined) return challengeOnly("missing Digest credentials");
    const params = parseAuthParams(credentials);
    if (params === undefined) return fail("malformed Digest credentials");
    const get = (name: string) => params.get(name) ?? "";
    const nonce = get("nonce");
    const nc = get("nc");
    if ((params.get("algorithm") ?? "MD5").toUpperCase() !== config.algorithm) {
      return fail("algorithm does not match the challenge");
    }
    if (get("qop") !== "auth") return fail("qop must be auth");
    if (!/^[0-9a-fA-F]{8}$/.test(nc)) return fail("malformed nonce count");
    if (get("cnonce") === "") return fail("missing cnonce");
    if (params.get("userhash")?.toLowerCase() === "true") return fail("userhash is not supported");
    const target = request.query === "" ? request.path : `${request.path}?${request.query}`;
    if (get("uri") !== target) return fail("uri does not match the request target");
    const userOk = secretEquals(get("username"), config.username);
    const realmOk = get("realm") === config.realm;
    const expected = digestResponse({
      algorithm: config.algorithm,
      username: config.username,
      realm: config.realm,
      password: config.password,
      method: request.method,
      uri: get("uri"),
      nonce,
      nc: nc.toLowerCase(),
      cnonce: get("cnonce"),
    });
    const responseOk = secretEquals(get("response").toLowerCase(), expected);
    if (!(userOk && realmOk && responseOk)) return fail("wrong credentials");
    const nonceState = nonces.check(nonce);
    if (nonceState.state !== "valid") {
      return nonceState.state === "expired"
        ? challengeOnly("nonce expired", true)
        : fail("nonce was not issued by this receiver");
    }
    const use = await replays.use(`${nonce}:${nc.toLowerCase()}`, nonceState.expiresAt - now());
    if (use === "replayed") return fail("nonce count already used (replay)");
    if (use === "unavailable") return fail("replay store unavailable");
    return { ok: true };
  };
  return { method: "digest_auth", afterAuth: false, verify, close: () => replays.close() };
}
