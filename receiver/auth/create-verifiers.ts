/**
 * Builds the verifiers of one webhook entry from the auth and validation
 * blocks it holds. Keys it does not know (`module`, `module-config`,
 * `data_type`, …) belong to other rooms and are left alone.
 */

import { createAuthorizationVerifier } from "./authorization.js";
import { createBasicAuthVerifier } from "./basic-auth.js";
import type { BlockLocation } from "./block-config.js";
import { createDigestAuthVerifier } from "./digest/digest-auth.js";
import { createHmacVerifier } from "./hmac/hmac-verifier.js";
import { createIpWhitelistVerifier } from "./ip/ip-whitelist.js";
import { createJsonSchemaVerifier } from "./json-schema.js";
import { createJwtVerifier } from "./jwt/jwt-verifier.js";
import { createHeaderAuthVerifier, createQueryAuthVerifier } from "./key-auth.js";
import { createOAuth1Verifier } from "./oauth1/oauth1.js";
import { createOAuth2Verifier } from "./oauth2/oauth2.js";
import { createRateLimitVerifier } from "./rate-limit/rate-limit.js";
import { createRecaptchaVerifier } from "./recaptcha.js";
import type { CreateVerifiers, Verifier, VerifierFactoryOptions } from "./verifier.js";

/** What a block factory gets besides its own block. */
export interface BlockContext {
  /** Where the block lives, for config errors. */
  readonly at: BlockLocation;
  /** The webhook the block belongs to. */
  readonly webhookId: string;
  /** The whole webhook entry (some blocks read sibling keys, e.g. `trusted_proxies`). */
  readonly entry: Readonly<Record<string, unknown>>;
  readonly options: VerifierFactoryOptions;
}

/** Builds one verifier from one config block. */
export type BlockFactory = (block: unknown, context: BlockContext) => Verifier;

/**
 * Every known block in evaluation order: cheap network checks first, then
 * credentials, then the calls out to other services; `rate_limit` and
 * `json_schema` run after authentication (their verifiers say afterAuth).
 */
export const blockFactories: ReadonlyArray<readonly [string, BlockFactory]> = [
  [
    "ip_whitelist",
    (block, { at, entry }) => createIpWhitelistVerifier(block, at, entry["trusted_proxies"]),
  ],
  ["authorization", (block, { at }) => createAuthorizationVerifier(block, at)],
  ["basic_auth", (block, { at }) => createBasicAuthVerifier(block, at)],
  ["header_auth", (block, { at }) => createHeaderAuthVerifier(block, at)],
  ["query_auth", (block, { at }) => createQueryAuthVerifier(block, at)],
  ["digest_auth", (block, { at, webhookId }) => createDigestAuthVerifier(block, at, webhookId)],
  ["hmac", (block, { at }) => createHmacVerifier(block, at)],
  ["jwt", (block, { at }) => createJwtVerifier(block, at)],
  ["oauth1", (block, { at, webhookId }) => createOAuth1Verifier(block, at, webhookId)],
  ["oauth2", (block, { at }) => createOAuth2Verifier(block, at)],
  ["recaptcha", (block, { at }) => createRecaptchaVerifier(block, at)],
  ["rate_limit", (block, { at, webhookId }) => createRateLimitVerifier(block, at, webhookId)],
  ["json_schema", (block, { at }) => createJsonSchemaVerifier(block, at)],
];

/** Implements {@link CreateVerifiers}. */
export const createVerifiers: CreateVerifiers = (webhookId, entry, options) => {
  const verifiers: Verifier[] = [];
  try {
    for (const [key, factory] of blockFactories) {
      const block = entry[key];
      if (block === undefined) continue;
      const at: BlockLocation = { options, keyPath: `${webhookId}.${key}` };
      verifiers.push(factory(block, { at, webhookId, entry, options }));
    }
  } catch (error) {
    // A later block failed: release what the earlier ones opened (timers, Redis).
    for (const verifier of verifiers) void verifier.close?.().catch(() => undefined);
    throw error;
  }
  return verifiers;
};
