/**
 * Runs a webhook's verifiers (SPEC §3.3): every check must pass, in order,
 * and the first failure decides the answer. Failures become generic wire
 * errors; the verifier's reason only travels in the rejection event.
 */
import type { IngestRequest, Verifier, VerifyResult } from "../auth/index.js";
import type { WebhookConnectError } from "../errors.js";
import {
  AuthenticationFailedError,
  ForbiddenError,
  RateLimitedError,
  SchemaValidationError,
  VerifierUnavailableError,
} from "./errors.js";

/** A failed check: the error to answer with and what to record about it. */
export interface VerificationFailure {
  /** Wire error (generic for authentication failures). */
  readonly error: WebhookConnectError;
  /** Extra response headers from the verifier, e.g. `WWW-Authenticate`. */
  readonly headers: Readonly<Record<string, string>>;
  /** The failing verifier's `method`, e.g. `hmac`. */
  readonly verifier: string;
  /** Detail for the log; never sent. */
  readonly reason: string;
  /** A 401 that challenges a request without credentials rather than refusing a guess. */
  readonly challenge: boolean;
}

/** Outcome of running a set of verifiers. */
export type VerificationOutcome =
  | { readonly ok: true; readonly sourceIp: string | undefined }
  | { readonly ok: false; readonly failure: VerificationFailure };

const DEFAULT_RETRY_AFTER_SECONDS = 1;

function retryAfterOf(headers: Readonly<Record<string, string>>): number {
  for (const [name, value] of Object.entries(headers)) {
    if (name.toLowerCase() !== "retry-after") continue;
    const seconds = Number(value);
    if (Number.isFinite(seconds) && seconds >= 0) return seconds;
  }
  return DEFAULT_RETRY_AFTER_SECONDS;
}

function errorFor(
  verifier: Verifier,
  result: Extract<VerifyResult, { ok: false }>,
): WebhookConnectError {
  const status = result.status ?? 401;
  if (status === 429) return new RateLimitedError(retryAfterOf(result.headers ?? {}));
  if (status === 503) return new VerifierUnavailableError(retryAfterOf(result.headers ?? {}));
  if (status === 403) return new ForbiddenError();
  if (verifier.afterAuth && status === 400) return new SchemaValidationError(result.message);
  return new AuthenticationFailedError();
}

/**
 * Runs `verifiers` one after another. A verifier that throws (against its
 * contract) fails the request as an authentication failure rather than
 * letting it through.
 */
export function runVerifiers(
  verifiers: readonly Verifier[],
  request: IngestRequest,
): VerificationOutcome | Promise<VerificationOutcome> {
  // Most verifiers answer synchronously (HMAC, tokens, IP lists): no promise
  // is made for them. The first asynchronous one continues in `continueAsync`.
  let sourceIp: string | undefined;
  for (let index = 0; index < verifiers.length; index++) {
    const verifier = verifiers[index]!;
    let result: VerifyResult | Promise<VerifyResult>;
    try {
      result = verifier.verify(request);
    } catch (cause) {
      result = threw(cause);
    }
    if (result instanceof Promise) {
      return continueAsync(verifiers, request, index, result, sourceIp);
    }
    if (!result.ok) return failed(verifier, result);
    sourceIp ??= result.sourceIp;
  }
  return { ok: true, sourceIp };
}

async function continueAsync(
  verifiers: readonly Verifier[],
  request: IngestRequest,
  from: number,
  pending: Promise<VerifyResult>,
  sourceIp: string | undefined,
): Promise<VerificationOutcome> {
  let found = sourceIp;
  for (let index = from; index < verifiers.length; index++) {
    const verifier = verifiers[index]!;
    let result: VerifyResult;
    try {
      result = await (index === from ? pending : verifier.verify(request));
    } catch (cause) {
      result = threw(cause);
    }
    if (!result.ok) return failed(verifier, result);
    found ??= result.sourceIp;
  }
  return { ok: true, sourceIp: found };
}

function threw(cause: unknown): VerifyResult {
  return {
    ok: false,
    reason: `verifier threw: ${cause instanceof Error ? cause.message : String(cause)}`,
  };
}

function failed(
  verifier: Verifier,
  result: Extract<VerifyResult, { ok: false }>,
): VerificationOutcome {
  return {
    ok: false,
    failure: {
      error: errorFor(verifier, result),
      headers: result.headers ?? {},
      verifier: verifier.method,
      reason: result.reason,
      challenge: result.challenge === true,
    },
  };
}
