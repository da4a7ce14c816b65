/**
 * The `header_auth` and `query_auth` blocks: an API key in a named header
 * or query parameter. Case-sensitive unless `case_sensitive: false`.
 */
import { z } from "zod";
import { type BlockLocation, flag, parseBlock, text, textList } from "./block-config.js";
import { secretEquals } from "./compare.js";
import { headerValue, queryParams } from "./request-parts.js";
import type { IngestRequest, Verifier, VerifyResult } from "./verifier.js";

const headerSchema = z.strictObject({
  /** @default "X-API-Key" */
  header_name: text().default("X-API-Key"),
  /** Expected key (a list during a rotation). */
  api_key: textList(),
  /** @default true */
  case_sensitive: flag().default(true),
});

const querySchema = z.strictObject({
  /** @default "api_key" */
  parameter_name: text().default("api_key"),
  api_key: textList(),
  /** @default true */
  case_sensitive: flag().default(true),
});

function keyVerifier(
  method: string,
  where: string,
  keys: readonly string[],
  caseSensitive: boolean,
  read: (request: IngestRequest) => string | undefined,
): Verifier {
  const fold = (value: string) => (caseSensitive ? value : value.toLowerCase());
  const expected = keys.map(fold);
  const verify = (request: IngestRequest): VerifyResult => {
    const received = read(request);
    if (received === undefined || received === "") {
      return { ok: false, reason: `${method}: missing ${where}`, status: 401 };
    }
    let matched = false;
    for (const key of expected) matched = secretEquals(fold(received), key) || matched;
    return matched
      ? { ok: true }
      : { ok: false, reason: `${method}: wrong key in ${where}`, status: 401 };
  };
  return { method, afterAuth: false, verify };
}

/** Builds the `header_auth` verifier. Throws ConfigError for a bad block. */
export function createHeaderAuthVerifier(block: unknown, at: BlockLocation): Verifier {
  const config = parseBlock(headerSchema, block, at);
  return keyVerifier(
    "header_auth",
    `header ${config.header_name}`,
    config.api_key,
    config.case_sensitive,
    (request) => headerValue(request, config.header_name),
  );
}

/** Builds the `query_auth` verifier. Throws ConfigError for a bad block. */
export function createQueryAuthVerifier(block: unknown, at: BlockLocation): Verifier {
  const config = parseBlock(querySchema, block, at);
  return keyVerifier(
    "query_auth",
    `query parameter ${config.parameter_name}`,
    config.api_key,
    config.case_sensitive,
    (request) => queryParams(request).get(config.parameter_name) ?? undefined,
  );
}
