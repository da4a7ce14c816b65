/**
 * RFC 7662 token introspection with client credentials (RFC 6749 §2.3.1),
 * with results cached per token (by SHA-256 of the token, never the token
 * itself) until the cache TTL or the token's `exp`, whichever comes first.
 */
import { createHash } from "node:crypto";
import { postForm } from "../post-form.js";

/** The fields of an introspection answer the verifier uses. */
export interface Introspection {
  readonly active: boolean;
  readonly scope?: string;
  readonly exp?: number;
  readonly aud?: string | string[];
  readonly iss?: string;
}

/** Outcome of introspecting one token. */
export type IntrospectionResult =
  | { readonly ok: true; readonly claims: Introspection }
  | { readonly ok: false; readonly reason: string };

/** Settings of an introspection client. */
export interface IntrospectionSettings {
  readonly endpoint: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly cacheSeconds: number;
  readonly timeoutMs: number;
  /** Most cached tokens; the oldest entries go first. */
  readonly maxEntries: number;
  readonly now: () => number;
}

const formEncode = (value: string) => encodeURIComponent(value).replaceAll("%20", "+");

function readIntrospection(json: unknown): Introspection | undefined {
  if (typeof json !== "object" || json === null) return undefined;
  const record = json as Record<string, unknown>;
  if (typeof record["active"] !== "boolean") return undefined;
  const aud = record["aud"];
  return {
    active: record["active"],
    ...(typeof record["scope"] === "string" ? { scope: record["scope"] } : {}),
    ...(typeof record["exp"] === "number" ? { exp: record["exp"] } : {}),
    ...(typeof aud === "string" || (Array.isArray(aud) && aud.every((a) => typeof a === "string"))
      ? { aud: aud as string | string[] }
      : {}),
    ...(typeof record["iss"] === "string" ? { iss: record["iss"] } : {}),
  };
}

/** Creates an introspecting function with its cache. */
export function createIntrospector(settings: IntrospectionSettings) {
  const cache = new Map<string, { claims: Introspection; expiresAt: number }>();
  const authorization = `Basic ${Buffer.from(
    `${formEncode(settings.clientId)}:${formEncode(settings.clientSecret)}`,
  ).toString("base64")}`;
  return async (token: string): Promise<IntrospectionResult> => {
    const key = createHash("sha256").update(token).digest("base64");
    const now = settings.now();
    const cached = cache.get(key);
    if (cached !== undefined && cached.expiresAt > now) return { ok: true, claims: cached.claims };
    cache.delete(key);
    const answer = await postForm(
      settings.endpoint,
      { token, token_type_hint: "access_token" },
      { headers: { authorization }, timeoutMs: settings.timeoutMs },
    );
    if (!answer.ok) return { ok: false, reason: `introspection ${answer.reason}` };
    if (answer.status !== 200)
      return { ok: false, reason: `introspection answered ${answer.status}` };
    const claims = readIntrospection(answer.json);
    if (claims === undefined) return { ok: false, reason: "introspection answer lacks active" };
    let expiresAt = now + settings.cacheSeconds * 1000;
    if (claims.exp !== undefined) expiresAt = Math.min(expiresAt, claims.exp * 1000);
    if (expiresAt > now) {
      for (const [oldKey, entry] of cache) {
        if (cache.size < settings.maxEntries && entry.expiresAt > now) break;
        cache.delete(oldKey);
      }
      cache.set(key, { claims, expiresAt });
    }
    return { ok: true, claims };
  };
}
