/**
 * Running one module delivery under the connector's abort signal and
 * turning its result into a DeliveryOutcome.
 */
import type { DeliveryOutcome } from "../delivery/index.js";
import { toDeliveryError } from "./message/failure.js";
import { ModuleDeliveryError } from "./output-module.js";

/** The ack outcome. */
export const ACK: DeliveryOutcome = Object.freeze({ kind: "ack" });

/**
 * The outcome for a failed delivery: retry when retryable (with the delay
 * the destination asked for as the nack's, as in HTTP mode), reject
 * otherwise.
 */
export function failureOutcome(error: unknown): DeliveryOutcome {
  const failure = toDeliveryError("delivery failed", error);
  if (!failure.retryable) return { kind: "reject", reason: failure.message };
  const delayMs = failure.retryAfterMs;
  return delayMs === undefined
    ? { kind: "retry", reason: failure.message }
    : { kind: "retry", reason: failure.message, delayMs };
}

/** Thrown by {@link abortable} when the signal fires first. */
export class DeliveryAbortedError extends ModuleDeliveryError {
  constructor(reason: unknown) {
    super(`delivery aborted${reason instanceof Error ? `: ${reason.message}` : ""}`, {
      retryable: true,
      cause: reason,
    });
    this.name = "DeliveryAbortedError";
  }
}

/**
 * Settles with `promise`, or rejects with DeliveryAbortedError as soon as
 * `signal` aborts. The abandoned promise's rejection is swallowed so it
 * cannot surface as an unhandled rejection.
 */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => {});
    return Promise.reject(new DeliveryAbortedError(signal.reason));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      promise.catch(() => {});
      reject(new DeliveryAbortedError(signal.reason));
    };
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

/** Waits `ms`, or rejects with DeliveryAbortedError when `signal` aborts first. */
export function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const delay = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  return abortable(delay, signal).finally(() => clearTimeout(timer));
}
