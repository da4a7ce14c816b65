/**
 * The `jwt` block: a JWT in `Authorization: Bearer …` (or a configured
 * header) validated with jose against a secret, a PEM key or a JWKS URL.
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
import { authorizationCredentials, headerValue } from "../request-parts.js";
import type { IngestRequest, Verifier, VerifyResult } from "../verifier.js";
import { createJwtValidator, type JwtKeySource } from "./jwt-validator.js";

const nonNegativeSeconds = z.preprocess(
  (value) => (typeof value === "string" && /^\d+$/.test(value) ? Number(value) : value),
  z.number({ error: "expected a number" }).int({ error: "expected an integer" }).min(0, {
    error: "expected zero or more seconds",
  }),
);

const schema = z.strictObject({
  /** HMAC secret (a PEM here is treated as `public_key`, as the gateway format allows). */
  secret: text().optional(),
  /** PEM SPKI public key or X.509 certificate. */
  public_key: text().optional(),
  /** JWKS endpoint; keys are cached. */
  jwks_url: text().optional(),
  /** @default 600 */
  jwks_cache_seconds: positiveInt().default(600),
  /** One allowed algorithm (gateway format). */
  algorithm: text().optional(),
  /** Allowed algorithms. @default HS256 for a secret, the key type's for a PEM, all asymmetric for a JWKS */
  algorithms: textList().optional(),
  issuer: textList().optional(),
  audience: textList().optional(),
  /** Require an `exp` claim (an expired token is always refused). @default true */
  verify_exp: flag().default(true),
  /** @default 30 */
  clock_skew_seconds: nonNegativeSeconds.default(30),
  /** Claims that must be present. */
  required_claims: z.array(text()).optional(),
  /** Header carrying the token; `Authorization` expects `Bearer <jwt>`. @default "Authorization" */
  header: text().default("Authorization"),
});

/** Builds the `jwt` verifier. Throws ConfigError for a bad block. */
export function createJwtVerifier(block: unknown, at: BlockLocation): Verifier {
  const config = parseBlock(schema, block, at);
  const sources = [config.secret, config.public_key, config.jwks_url].filter(
    (v) => v !== undefined,
  );
  if (sources.length !== 1) {
    throw configError(at, "", "expected exactly one of secret, public_key, jwks_url");
  }
  if (config.algorithm !== undefined && config.algorithms !== undefined) {
    throw configError(at, "algorithm", "use either algorithm or algorithms, not both");
  }
  let key: JwtKeySource;
  let keyName = "secret";
  if (config.secret !== undefined && !config.secret.startsWith("-----BEGIN")) {
    key = { kind: "secret", secret: config.secret };
  } else if (config.jwks_url !== undefined) {
    key = { kind: "jwks", url: config.jwks_url, cacheSeconds: config.jwks_cache_seconds };
    keyName = "jwks_url";
  } else {
    key = { kind: "public_key", pem: config.public_key ?? config.secret ?? "" };
    keyName = config.public_key === undefined ? "secret" : "public_key";
  }
  const algorithms =
    config.algorithms ?? (config.algorithm === undefined ? undefined : [config.algorithm]);
  const requiredClaims = [...(config.required_claims ?? []), ...(config.verify_exp ? ["exp"] : [])];
  const validate = createJwtValidator(
    {
      key,
      ...(algorithms === undefined ? {} : { algorithms }),
      ...(config.issuer === undefined ? {} : { issuer: config.issuer }),
      ...(config.audience === undefined ? {} : { audience: config.audience }),
      clockSkewSeconds: config.clock_skew_seconds,
      requiredClaims,
      keys: {
        algorithms: config.algorithm === undefined ? "algorithms" : "algorithm",
        key: keyName,
      },
    },
    at,
    at.options.now ?? Date.now,
  );
  const bearerHeader = config.header.toLowerCase() === "authorization";
  const verify = async (request: IngestRequest): Promise<VerifyResult> => {
    const token = bearerHeader
      ? authorizationCredentials(request, "Bearer")
      : headerValue(request, config.header)?.trim();
    if (token === undefined || token === "") {
      return { ok: false, reason: `jwt: missing token in ${config.header}`, status: 401 };
    }
    const result = await validate(token);
    return result.ok ? { ok: true } : { ok: false, reason: `jwt: ${result.reason}`, status: 401 };
  };
  return { method: "jwt", afterAuth: false, verify };
}
