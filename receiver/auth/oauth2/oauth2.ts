/**
 * The `oauth2` block: a Bearer access token checked by RFC 7662 token
 * introspection (client credentials, cached) or validated locally as a JWT,
 * then required scopes, audience and issuer.
 */
import { z } from "zod";
import {
  type BlockLocation,
  configError,
  flag,
  parseBlock,
  positiveInt,
  text,
  textList,
} from "../block-config.js";
import { createJwtValidator, type JwtKeySource } from "../jwt/jwt-validator.js";
import { isHttpUrl } from "../post-form.js";
import { authorizationCredentials } from "../request-parts.js";
import type { IngestRequest, Verifier, VerifyResult } from "../verifier.js";
import { createIntrospector } from "./introspection.js";

const schema = z.strictObject({
  /** RFC 7662 endpoint; needs client_id and client_secret. */
  introspection_endpoint: text().optional(),
  client_id: text().optional(),
  client_secret: text().optional(),
  /** Seconds an introspection answer is reused (never beyond the token's exp). @default 60 */
  cache_seconds: positiveInt().default(60),
  /** @default 5 */
  timeout_seconds: positiveInt().default(5),
  /** Local JWT validation: one of these key sources. */
  jwt_secret: text().optional(),
  public_key: text().optional(),
  jwks_url: text().optional(),
  /** Allowed JWT algorithms. @default derived from the key */
  jwt_algorithms: textList().optional(),
  audience: textList().optional(),
  issuer: textList().optional(),
  /** Scopes the token must all carry. */
  required_scope: textList().optional(),
  required_scopes: textList().optional(),
  /** Require `exp` on local JWTs. @default true */
  verify_exp: flag().default(true),
  /** Gateway-format compatibility: only `Bearer` tokens are supported. */
  token_type: z.literal("Bearer", { error: "expected Bearer" }).optional(),
  /** Gateway-format compatibility: tokens are always validated. */
  validate_token: z.literal(true, { error: "expected true" }).optional(),
});

function scopesOf(claims: Record<string, unknown>): Set<string> {
  const scopes = new Set<string>();
  for (const value of [claims["scope"], claims["scp"]]) {
    if (typeof value === "string")
      for (const scope of value.split(" ")) if (scope) scopes.add(scope);
    if (Array.isArray(value))
      for (const scope of value) if (typeof scope === "string") scopes.add(scope);
  }
  return scopes;
}

/** Builds the `oauth2` verifier. Throws ConfigError for a bad block. */
export function createOAuth2Verifier(block: unknown, at: BlockLocation): Verifier {
  const config = parseBlock(schema, block, at);
  const now = at.options.now ?? Date.now;
  const required = [...(config.required_scope ?? []), ...(config.required_scopes ?? [])];
  const keySources = [config.jwt_secret, config.public_key, config.jwks_url].filter(
    (v) => v !== undefined,
  );
  const introspect = config.introspection_endpoint !== undefined;
  if (introspect === keySources.length > 0 || keySources.length > 1) {
    throw configError(
      at,
      "",
      "expected introspection_endpoint or exactly one of jwt_secret, public_key, jwks_url",
    );
  }
  const fail = (reason: string, status = 401): VerifyResult =>
    status === 503
      ? { ok: false, reason: `oauth2: ${reason}`, status, headers: { "Retry-After": "5" } }
      : { ok: false, reason: `oauth2: ${reason}`, status };

  type Checked = { readonly failure: VerifyResult } | { readonly claims: Record<string, unknown> };
  let check: (token: string) => Promise<Checked>;
  if (config.introspection_endpoint !== undefined) {
    if (!isHttpUrl(config.introspection_endpoint)) {
      throw configError(at, "introspection_endpoint", "expected an http(s) URL");
    }
    if (config.client_id === undefined)
      throw configError(at, "client_id", "required with introspection_endpoint");
    if (config.client_secret === undefined) {
      throw configError(at, "client_secret", "required with introspection_endpoint");
    }
    const introspector = createIntrospector({
      endpoint: config.introspection_endpoint,
      clientId: config.client_id,
      clientSecret: config.client_secret,
      cacheSeconds: config.cache_seconds,
      timeoutMs: config.timeout_seconds * 1000,
      maxEntries: 10_000,
      now,
    });
    const audiences = config.audience;
    const issuers = config.issuer;
    check = async (token) => {
      const result = await introspector(token);
      // The authorization server being away is not the sender's fault: ask it to retry.
      if (!result.ok) return { failure: fail(result.reason, 503) };
      const claims = result.claims;
      if (!claims.active) return { failure: fail("token is not active") };
      if (claims.exp !== undefined && claims.exp * 1000 <= now()) {
        return { failure: fail("token expired") };
      }
      if (audiences !== undefined) {
        const aud =
          claims.aud === undefined ? [] : Array.isArray(claims.aud) ? claims.aud : [claims.aud];
        if (!aud.some((value) => audiences.includes(value))) {
          return { failure: fail("audience not accepted") };
        }
      }
      if (issuers !== undefined && (claims.iss === undefined || !issuers.includes(claims.iss))) {
        return { failure: fail("issuer not accepted") };
      }
      return { claims: { ...claims } };
    };
  } else {
    const key: JwtKeySource =
      config.jwt_secret !== undefined
        ? { kind: "secret", secret: config.jwt_secret }
        : config.public_key !== undefined
          ? { kind: "public_key", pem: config.public_key }
          : { kind: "jwks", url: config.jwks_url ?? "", cacheSeconds: 600 };
    const validate = createJwtValidator(
      {
        key,
        ...(config.jwt_algorithms === undefined ? {} : { algorithms: config.jwt_algorithms }),
        ...(config.issuer === undefined ? {} : { issuer: config.issuer }),
        ...(config.audience === undefined ? {} : { audience: config.audience }),
        clockSkewSeconds: 30,
        requiredClaims: config.verify_exp ? ["exp"] : [],
        keys: {
          algorithms: "jwt_algorithms",
          key:
            key.kind === "secret" ? "jwt_secret" : key.kind === "jwks" ? "jwks_url" : "public_key",
        },
      },
      at,
      now,
    );
    check = async (token) => {
      const result = await validate(token);
      return result.ok ? { claims: { ...result.payload } } : { failure: fail(result.reason) };
    };
  }

  const verify = async (request: IngestRequest): Promise<VerifyResult> => {
    const token = authorizationCredentials(request, "Bearer");
    if (token === undefined) return fail("missing Bearer token");
    const outcome = await check(token);
    if ("failure" in outcome) return outcome.failure;
    const scopes = scopesOf(outcome.claims);
    const missing = required.filter((scope) => !scopes.has(scope));
    if (missing.length > 0) return fail(`missing scope ${missing.join(" ")}`, 403);
    return { ok: true };
  };
  return { method: "oauth2", afterAuth: false, verify };
}
