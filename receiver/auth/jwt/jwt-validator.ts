/**
 * JWT validation shared by the `jwt` and `oauth2` blocks: one key source
 * (HMAC secret, PEM public key or JWKS URL), an allow-list of algorithms
 * that never contains `none`, and iss/aud/exp/nbf checks with clock skew.
 */
import { createPublicKey, type KeyObject } from "node:crypto";
import {
  createRemoteJWKSet,
  errors,
  type JWTPayload,
  type JWTVerifyOptions,
  jwtVerify,
} from "jose";
import { type BlockLocation, configError } from "../block-config.js";

/** Symmetric algorithms (used with a shared secret). */
export const hmacJwtAlgorithms = ["HS256", "HS384", "HS512"] as const;
/** Asymmetric algorithms (used with a public key or a JWKS). */
export const publicKeyJwtAlgorithms = [
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
  "EdDSA",
] as const;

/** Where the verification key comes from. */
export type JwtKeySource =
  | { readonly kind: "secret"; readonly secret: string }
  | { readonly kind: "public_key"; readonly pem: string }
  | { readonly kind: "jwks"; readonly url: string; readonly cacheSeconds: number };

/** Settings of a validator (already type-checked by the block's schema). */
export interface JwtValidatorSettings {
  readonly key: JwtKeySource;
  /** Allowed `alg` values; derived from the key when absent. */
  readonly algorithms?: readonly string[];
  readonly issuer?: readonly string[];
  readonly audience?: readonly string[];
  /** Tolerated clock difference for exp/nbf/iat, seconds. */
  readonly clockSkewSeconds: number;
  /** Claims that must be present (e.g. `exp`). */
  readonly requiredClaims: readonly string[];
  /** Config key names, for error messages (`algorithms` or `jwt_algorithms`, …). */
  readonly keys: { readonly algorithms: string; readonly key: string };
}

/** Outcome of validating one token. */
export type JwtValidation =
  | { readonly ok: true; readonly payload: JWTPayload }
  | { readonly ok: false; readonly reason: string };

/** Validates one compact JWT. Never throws. */
export type JwtValidator = (token: string) => Promise<JwtValidation>;

function defaultAlgorithms(key: KeyObject): string[] {
  switch (key.asymmetricKeyType) {
    case "rsa":
      return ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"];
    case "rsa-pss":
      return ["PS256", "PS384", "PS512"];
    case "ec": {
      const curve = key.asymmetricKeyDetails?.namedCurve;
      return curve === "secp384r1" ? ["ES384"] : curve === "secp521r1" ? ["ES512"] : ["ES256"];
    }
    case "ed25519":
      return ["EdDSA"];
    default:
      return [];
  }
}

function describe(error: unknown): string {
  if (error instanceof errors.JWTExpired) return "token expired";
  if (error instanceof errors.JWTClaimValidationFailed) {
    return `claim ${error.claim} ${error.reason.replaceAll("_", " ")}`;
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return "algorithm not allowed";
  if (error instanceof errors.JWSSignatureVerificationFailed) return "signature does not verify";
  if (error instanceof errors.JWKSNoMatchingKey) return "no matching key in the JWKS";
  if (error instanceof errors.JWKSTimeout) return "JWKS request timed out";
  if (error instanceof errors.JOSEError) return `${error.code}`;
  return "token could not be validated";
}

/** Builds a validator; throws ConfigError for an unusable key or algorithm list. */
export function createJwtValidator(
  settings: JwtValidatorSettings,
  at: BlockLocation,
  now: () => number,
): JwtValidator {
  if (settings.algorithms?.some((alg) => alg.toLowerCase() === "none")) {
    throw configError(at, settings.keys.algorithms, "alg none is never accepted");
  }
  let key: Uint8Array | KeyObject | ReturnType<typeof createRemoteJWKSet>;
  let allowed: readonly string[];
  const source = settings.key;
  if (source.kind === "secret") {
    key = new TextEncoder().encode(source.secret);
    allowed = settings.algorithms ?? ["HS256"];
    const bad = allowed.find((alg) => !(hmacJwtAlgorithms as readonly string[]).includes(alg));
    if (bad !== undefined) {
      throw configError(
        at,
        settings.keys.algorithms,
        `expected HS256, HS384 or HS512 with a secret, got ${bad}`,
      );
    }
  } else {
    if (source.kind === "public_key") {
      try {
        key = createPublicKey(source.pem);
      } catch {
        throw configError(at, settings.keys.key, "expected a PEM public key or certificate");
      }
      allowed = settings.algorithms ?? defaultAlgorithms(key);
    } else {
      let url: URL;
      try {
        url = new URL(source.url);
      } catch {
        throw configError(at, "jwks_url", "expected an http(s) URL");
      }
      if (url.protocol !== "https:" && url.protocol !== "http:") {
        throw configError(at, "jwks_url", "expected an http(s) URL");
      }
      key = createRemoteJWKSet(url, {
        cacheMaxAge: source.cacheSeconds * 1000,
        cooldownDuration: 30_000,
        timeoutDuration: 5_000,
      });
      allowed = settings.algorithms ?? publicKeyJwtAlgorithms;
    }
    const bad = allowed.find((alg) => !(publicKeyJwtAlgorithms as readonly string[]).includes(alg));
    if (bad !== undefined) {
      throw configError(at, settings.keys.algorithms, `${bad} cannot be used with a public key`);
    }
  }
  if (allowed.length === 0) throw configError(at, settings.keys.algorithms, "no usable algorithm");

  const verifyOptions = (): JWTVerifyOptions => ({
    algorithms: [...allowed],
    clockTolerance: settings.clockSkewSeconds,
    currentDate: new Date(now()),
    requiredClaims: [...settings.requiredClaims],
    ...(settings.issuer === undefined ? {} : { issuer: [...settings.issuer] }),
    ...(settings.audience === undefined ? {} : { audience: [...settings.audience] }),
  });
  return async (token) => {
    try {
      const result = await jwtVerify(token, key, verifyOptions());
      return { ok: true, payload: result.payload };
    } catch (error) {
      return { ok: false, reason: describe(error) };
    }
  };
}
