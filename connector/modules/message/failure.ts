/**
 * Turning what a client library threw into a ModuleDeliveryError with the
 * right retry decision. Network-level failures are always worth retrying;
 * everything a module recognises as permanent it rejects itself.
 */
import { ModuleDeliveryError } from "../output-module.js";

const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EADDRNOTAVAIL",
]);

/** The `code` property of an error-like value, if any. */
export function errorCode(error: unknown): string | undefined {
  if (error === null || typeof error !== "object") return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" ? code : undefined;
}

/** Whether the error (or one of its causes / aggregated errors) is a network failure. */
export function isNetworkError(error: unknown, depth = 0): boolean {
  if (depth > 5 || error === null || typeof error !== "object") return false;
  const code = errorCode(error);
  if (code !== undefined && NETWORK_CODES.has(code)) return true;
  if (error instanceof AggregateError && error.errors.some((e) => isNetworkError(e, depth + 1))) {
    return true;
  }
  return isNetworkError((error as { cause?: unknown }).cause, depth + 1);
}

/** A readable one-line description of any thrown value. */
export function describeError(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) {
    return error.errors.map(describeError).join("; ");
  }
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}

/**
 * Wraps `error` as a ModuleDeliveryError. An existing ModuleDeliveryError
 * passes through unchanged; anything else is retryable unless `retryable`
 * says otherwise.
 */
export function toDeliveryError(
  what: string,
  error: unknown,
  retryable = true,
): ModuleDeliveryError {
  if (error instanceof ModuleDeliveryError) return error;
  return new ModuleDeliveryError(`${what}: ${describeError(error)}`, { retryable, cause: error });
}

/** Rejects with a retryable ModuleDeliveryError when `promise` takes longer than `ms`. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () =>
        reject(new ModuleDeliveryError(`${what}: timed out after ${ms} ms`, { retryable: true })),
      ms,
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
