/**
 * The `hmac` verifier: interprets any HmacScheme (generic or a provider
 * preset) over the raw body bytes, or a TokenScheme for GitLab.
 */
import { createHmac } from "node:crypto";
import type { BlockLocation } from "../block-config.js";
import { digestEquals, secretEquals } from "../compare.js";
import { headerValue } from "../request-parts.js";
import type { IngestRequest, Verifier, VerifyResult } from "../verifier.js";
import { acceptsImplicitPrefix, parseHmacBlock } from "./hmac-config.js";
import type { HmacScheme, TokenScheme } from "./presets.js";
import { decodeSignature, parseSignatureHeader } from "./signature-header.js";

type Part = { readonly literal: string } | { readonly field: "id" | "timestamp" | "body" };

function compileBasestring(template: string): readonly Part[] {
  const parts: Part[] = [];
  for (const piece of template.split(/(\{id\}|\{timestamp\}|\{body\})/)) {
    if (piece === "") continue;
    if (piece === "{id}") parts.push({ field: "id" });
    else if (piece === "{timestamp}") parts.push({ field: "timestamp" });
    else if (piece === "{body}") parts.push({ field: "body" });
    else parts.push({ literal: piece });
  }
  return parts;
}

const fail = (reason: string): VerifyResult => ({ ok: false, reason, status: 401 });

function tokenVerifier(scheme: TokenScheme, keys: readonly Buffer[]): Verifier["verify"] {
  return (request) => {
    const token = headerValue(request, scheme.header);
    if (token === undefined) return fail(`hmac: missing ${scheme.header} header`);
    // Check every key so the time taken does not depend on which one matched.
    let matched = false;
    for (const key of keys) matched = secretEquals(token, key) || matched;
    return matched ? { ok: true } : fail(`hmac: ${scheme.header} does not match`);
  };
}

function hmacVerifier(
  scheme: HmacScheme,
  keys: readonly Buffer[],
  now: () => number,
): Verifier["verify"] {
  const parts = compileBasestring(scheme.basestring);
  const implicitPrefix = acceptsImplicitPrefix(scheme) ? `${scheme.algorithm}=` : undefined;
  return (request: IngestRequest) => {
    const headerText = headerValue(request, scheme.signatureHeader);
    if (headerText === undefined) return fail(`hmac: missing ${scheme.signatureHeader} header`);
    const parsed = parseSignatureHeader(headerText, scheme.signatureFormat);
    let encoded = parsed.signatures;
    if (implicitPrefix !== undefined && headerText.trim().startsWith(implicitPrefix)) {
      encoded = [headerText.trim().slice(implicitPrefix.length)];
    }
    const received = encoded
      .map((signature) => decodeSignature(signature, scheme.encoding))
      .filter((signature): signature is Buffer => signature !== undefined);
    if (received.length === 0) {
      return fail(`hmac: ${scheme.signatureHeader} holds no ${scheme.encoding} signature`);
    }

    let timestamp: string | undefined;
    if (scheme.timestamp !== undefined) {
      const { header, toleranceSeconds } = scheme.timestamp;
      timestamp = header === undefined ? parsed.timestamp : headerValue(request, header);
      if (timestamp === undefined || !/^\d{1,12}$/.test(timestamp.trim())) {
        return fail(`hmac: missing or malformed timestamp${header ? ` in ${header}` : ""}`);
      }
      timestamp = timestamp.trim();
      const skewSeconds = (now() - Number(timestamp) * 1000) / 1000;
      if (skewSeconds > toleranceSeconds) {
        return fail(
          `hmac: timestamp is ${Math.round(skewSeconds)} s old (limit ${toleranceSeconds} s)`,
        );
      }
      if (-skewSeconds > toleranceSeconds) {
        return fail(`hmac: timestamp is ${Math.round(-skewSeconds)} s in the future`);
      }
    }
    let id: string | undefined;
    if (scheme.idHeader !== undefined) {
      id = headerValue(request, scheme.idHeader);
      if (id === undefined || id === "") return fail(`hmac: missing ${scheme.idHeader} header`);
    }

    const chunks = parts.map((part) => {
      if ("literal" in part) return Buffer.from(part.literal, "utf8");
      if (part.field === "body") return request.body;
      return Buffer.from((part.field === "id" ? id : timestamp) ?? "", "utf8");
    });
    let matched = false;
    for (const key of keys) {
      const mac = createHmac(scheme.algorithm, key);
      for (const chunk of chunks) mac.update(chunk);
      const expected = mac.digest();
      for (const signature of received) matched = digestEquals(signature, expected) || matched;
    }
    return matched ? { ok: true } : fail("hmac: signature does not match");
  };
}

/** Builds the `hmac` verifier from its config block. Throws ConfigError for a bad block. */
export function createHmacVerifier(block: unknown, at: BlockLocation): Verifier {
  const { scheme, keys } = parseHmacBlock(block, at);
  const now = at.options.now ?? Date.now;
  const verify =
    scheme.kind === "token" ? tokenVerifier(scheme, keys) : hmacVerifier(scheme, keys, now);
  return { method: "hmac", afterAuth: false, verify };
}
