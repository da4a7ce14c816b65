/**
 * The `basic_auth` block (RFC 7617): username and password, both compared
 * in constant time. A failure carries a `WWW-Authenticate: Basic` challenge.
 */
import { z } from "zod";
import { type BlockLocation, parseBlock, text } from "./block-config.js";
import { secretEquals } from "./compare.js";
import { authorizationCredentials } from "./request-parts.js";
import type { Verifier, VerifyResult } from "./verifier.js";

const schema = z.strictObject({
  username: text(),
  password: text(),
  /** Realm shown in the challenge. @default "webhook" */
  realm: text().default("webhook"),
});

/** Builds the `basic_auth` verifier. Throws ConfigError for a bad block. */
export function createBasicAuthVerifier(block: unknown, at: BlockLocation): Verifier {
  const config = parseBlock(schema, block, at);
  const challenge = {
    "WWW-Authenticate": `Basic realm="${config.realm.replaceAll('"', "'")}", charset="UTF-8"`,
  };
  const fail = (reason: string): VerifyResult => ({
    ok: false,
    reason: `basic_auth: ${reason}`,
    status: 401,
    headers: challenge,
  });
  const verify = (request: Parameters<Verifier["verify"]>[0]): VerifyResult => {
    const credentials = authorizationCredentials(request, "Basic");
    if (credentials === undefined) return fail("missing Basic credentials");
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(credentials)) return fail("credentials are not base64");
    const decoded = Buffer.from(credentials, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon < 0) return fail("credentials lack a ':'");
    const userOk = secretEquals(decoded.slice(0, colon), config.username);
    const passwordOk = secretEquals(decoded.slice(colon + 1), config.password);
    return userOk && passwordOk ? { ok: true } : fail("wrong username or password");
  };
  return { method: "basic_auth", afterAuth: false, verify };
}
