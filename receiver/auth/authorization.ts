/**
 * The `authorization` block: the Authorization header must equal the
 * configured value. A configured `Bearer <token>` accepts the scheme in any
 * case (RFC 6750); the token itself is compared exactly, in constant time.
 */
import { z } from "zod";
import { type BlockLocation, parseBlock, textList } from "./block-config.js";
import { secretEquals } from "./compare.js";
import { headerValue } from "./request-parts.js";
import type { Verifier, VerifyResult } from "./verifier.js";

const schema = z.union([textList(), z.strictObject({ token: textList() })], {
  error: "expected a string, a list of strings or { token }",
});

const bearerPattern = /^bearer +(.+)$/i;

/** Builds the `authorization` verifier. Throws ConfigError for a bad block. */
export function createAuthorizationVerifier(block: unknown, at: BlockLocation): Verifier {
  const parsed = parseBlock(schema, block, at);
  const expected = Array.isArray(parsed) ? parsed : parsed.token;
  const accepted = expected.map((value) => {
    const bearer = bearerPattern.exec(value);
    return bearer?.[1] === undefined
      ? { bearer: false, value }
      : { bearer: true, value: bearer[1] };
  });
  const verify = (request: Parameters<Verifier["verify"]>[0]): VerifyResult => {
    const header = headerValue(request, "authorization");
    if (header === undefined)
      return { ok: false, reason: "authorization: missing header", status: 401 };
    const bearerToken = bearerPattern.exec(header)?.[1];
    let matched = false;
    for (const candidate of accepted) {
      const received = candidate.bearer ? bearerToken : header;
      // Compare even when absent so timing does not tell which form failed.
      matched =
        (secretEquals(received ?? "", candidate.value) && received !== undefined) || matched;
    }
    return matched
      ? { ok: true }
      : { ok: false, reason: "authorization: header does not match", status: 401 };
  };
  return { method: "authorization", afterAuth: false, verify };
}
