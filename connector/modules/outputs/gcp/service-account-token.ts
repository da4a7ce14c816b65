/**
 * OAuth 2.0 access tokens for a Google service account (the JWT bearer
 * grant, RFC 7523): a JWT signed with the account's RS256 key is exchanged
 * at the key file's `token_uri`. Tokens are cached until a minute before
 * they expire.
 */
import { readFile } from "node:fs/promises";
import { importPKCS8, SignJWT } from "jose";
import { request } from "undici";
import { z } from "zod";

const keyFileSchema = z.looseObject({
  client_email: z.string().min(1),
  private_key: z.string().min(1),
  private_key_id: z.string().optional(),
  token_uri: z.url().default("https://oauth2.googleapis.com/token"),
});

const tokenResponseSchema = z.looseObject({
  access_token: z.string().min(1),
  expires_in: z.number().positive().default(3600),
});

/** Returns a valid bearer token, fetching a new one when needed. */
export type TokenSource = () => Promise<string>;

/** A token source for the service-account key in `keyFile`, with `scope`. */
export function serviceAccountTokenSource(keyFile: string, scope: string): TokenSource {
  let cached: { token: string; expiresAt: number } | undefined;
  let inFlight: Promise<string> | undefined;

  async function fetchToken(): Promise<string> {
    const key = keyFileSchema.parse(JSON.parse(await readFile(keyFile, "utf8")));
    const signingKey = await importPKCS8(key.private_key, "RS256");
    const now = Math.floor(Date.now() / 1000);
    const assertion = await new SignJWT({ scope })
      .setProtectedHeader({
        alg: "RS256",
        typ: "JWT",
        ...(key.private_key_id === undefined ? {} : { kid: key.private_key_id }),
      })
      .setIssuer(key.client_email)
      .setAudience(key.token_uri)
      .setIssuedAt(now)
      .setExpirationTime(now + 3600)
      .sign(signingKey);
    const response = await request(key.token_uri, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer",
        assertion,
      }).toString(),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await response.body.text();
    if (response.statusCode !== 200) {
      throw new Error(`token endpoint answered ${response.statusCode}: ${text.slice(0, 200)}`);
    }
    const parsed = tokenResponseSchema.parse(JSON.parse(text));
    cached = {
      token: parsed.access_token,
      expiresAt: Date.now() + (parsed.expires_in - 60) * 1000,
    };
    return parsed.access_token;
  }

  return async () => {
    if (cached !== undefined && cached.expiresAt > Date.now()) return cached.token;
    inFlight ??= fetchToken().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };
}
