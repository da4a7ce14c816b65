/**
 * The `recaptcha` block: the sender's reCAPTCHA token (header or body
 * field) is checked with Google's siteverify API — or any compatible
 * `verify_url` — and, for v3, must reach `min_score`.
 */
import { z } from "zod";
import {
  type BlockLocation,
  configError,
  oneOf,
  parseBlock,
  positiveInt,
  text,
  unitInterval,
} from "./block-config.js";
import { isHttpUrl, postForm } from "./post-form.js";
import { headerValue, mediaType } from "./request-parts.js";
import type { IngestRequest, Verifier, VerifyResult } from "./verifier.js";

const schema = z.strictObject({
  secret_key: text(),
  /** @default "v3" */
  version: oneOf(["v2", "v3"]).default("v3"),
  /** @default "header" */
  token_source: oneOf(["header", "body"]).default("header"),
  /** Header or body field with the token. @default "X-Recaptcha-Token" / "g-recaptcha-response" */
  token_field: text().optional(),
  /** v3 only. @default 0.5 */
  min_score: unitInterval().default(0.5),
  /** v3: the action the token must have been issued for. */
  action: text().optional(),
  /** Hostname the token must have been issued on. */
  hostname: text().optional(),
  /** @default "https://www.google.com/recaptcha/api/siteverify" */
  verify_url: text().default("https://www.google.com/recaptcha/api/siteverify"),
  /** @default 5 */
  timeout_seconds: positiveInt().default(5),
});

function bodyField(request: IngestRequest, field: string): string | undefined {
  const text = request.body.toString("utf8");
  if (mediaType(request) === "application/x-www-form-urlencoded") {
    return new URLSearchParams(text).get(field) ?? undefined;
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return undefined;
    const value = (parsed as Record<string, unknown>)[field];
    return typeof value === "string" ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Builds the `recaptcha` verifier. Throws ConfigError for a bad block. */
export function createRecaptchaVerifier(block: unknown, at: BlockLocation): Verifier {
  const config = parseBlock(schema, block, at);
  if (!isHttpUrl(config.verify_url)) throw configError(at, "verify_url", "expected an http(s) URL");
  const field =
    config.token_field ??
    (config.token_source === "header" ? "X-Recaptcha-Token" : "g-recaptcha-response");
  const fail = (reason: string): VerifyResult => ({
    ok: false,
    reason: `recaptcha: ${reason}`,
    status: 401,
  });

  const verify = async (request: IngestRequest): Promise<VerifyResult> => {
    const token =
      config.token_source === "header" ? headerValue(request, field) : bodyField(request, field);
    if (token === undefined || token === "")
      return fail(`missing token in ${config.token_source} ${field}`);
    const answer = await postForm(
      config.verify_url,
      { secret: config.secret_key, response: token, remoteip: request.remoteAddress },
      { timeoutMs: config.timeout_seconds * 1000 },
    );
    if (
      !answer.ok ||
      answer.status !== 200 ||
      typeof answer.json !== "object" ||
      answer.json === null
    ) {
      const why = answer.ok ? `answered ${answer.status}` : answer.reason;
      return {
        ok: false,
        reason: `recaptcha: verification ${why}`,
        status: 503,
        headers: { "Retry-After": "5" },
      };
    }
    const result = answer.json as Record<string, unknown>;
    if (result["success"] !== true) {
      const codes = Array.isArray(result["error-codes"]) ? result["error-codes"].join(",") : "none";
      return fail(`token rejected (${codes})`);
    }
    if (config.hostname !== undefined && result["hostname"] !== config.hostname) {
      return fail("token issued for another hostname");
    }
    if (config.version === "v3") {
      const score = result["score"];
      if (typeof score !== "number") return fail("v3 answer carries no score");
      if (score < config.min_score) return fail(`score ${score} below ${config.min_score}`);
      if (config.action !== undefined && result["action"] !== config.action) {
        return fail("token issued for another action");
      }
    }
    return { ok: true };
  };
  return { method: "recaptcha", afterAuth: false, verify };
}
