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
import { createHeaderAuthVerifier, createQueryAuthVerifier } from "./key-auth.js";
import { createOAuth1Verifier } from "./oauth1/oauth1.js";
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
 * Blocks whose modules are loaded only when a config uses them: JWT and
 * OAuth 2.0 bring jose, JSON Schema brings Ajv (together some 2 MB of heap
 * and a hundred modules an idle receiver without them never needs).
 * `loadVerifierBlocks` loads them before `createVerifiers` runs.
 */
const lazyBlocks: Readonly<Record<string, () => Promise<BlockFactory>>> = {
  jwt: async () => {
    const { createJwtVerifier } = await import("./jwt/jwt-verifier.js");
    return (block, { at }) => createJwtVerifier(block, at);
  },
  oauth2: async () => {
    const { createOAuth2Verifier } = await import("./oauth2/oauth2.js");
    return (block, { at }) => createOAuth2Verifier(block, at);
  },
  json_schema: async () => {
    const { createJsonSchemaVerifier } = await import("./json-schema.js");
    return (block, { at }) => createJsonSchemaVerifier(block, at);
  },
};

const loadedBlocks = new Map<string, BlockFactory>();

/**
 * Loads the modules of the lazily loaded blocks that `entries` use (all
 * of them when `entries` is omitted). Call before `createVerifiers`.
 */
export async function loadVerifierBlocks(
  entries?: Iterable<Readonly<Record<string, unknown>>>,
): Promise<void> {
  const wanted = new Set<string>();
  if (entries === undefined) for (const key of Object.keys(lazyBlocks)) wanted.add(key);
  else {
    for (const entry of entries) {
      for (const key of Object.keys(lazyBlocks)) if (entry[key] !== undefined) wanted.add(key);
    }
  }
  for (const key of wanted) {
    if (!loadedBlocks.has(key)) loadedBlocks.set(key, await lazyBlocks[key]!());
  }
}

/** The factory of a lazily loaded block, which `loadVerifierBlocks` must have loaded. */
function lazyBlock(key: string): BlockFactory {
  return (block, context) => {
    const factory = loadedBlocks.get(key);
    if (factory === undefined) {
      throw new Error(`'${key}' verifier module not loaded: call loadVerifierBlocks first`);
    }
    return factory(block, context);
  };
}

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
  ["jwt", lazyBlock("jwt")],
  ["oauth1", (block, { at, webhookId }) => createOAuth1Verifier(block, at, webhookId)],
  ["oauth2", lazyBlock("oauth2")],
  ["recaptcha", (block, { at }) => createRecaptchaVerifier(block, at)],
  ["rate_limit", (block, { at, webhookId }) => createRateLimitVerifier(block, at, webhookId)],
  ["json_schema", lazyBlock("json_schema")],
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
