/**
 * Bounds how long opening a session may take: a proxy that swallows a
 * request (or buffers the whole response) must not stall `auto` forever.
 */
import { ConnectorError, TransportError } from "../errors.js";
import type { OpenSessionOptions, RelaySession } from "./transport.js";

/** Default longest wait for a Welcome. */
export const DEFAULT_OPEN_TIMEOUT_MS = 10_000;

/**
 * Runs `open` with a signal that also aborts after `timeoutMs`; a timeout
 * becomes a TransportError naming the transport.
 */
export async function openWithTimeout(
  transport: string,
  timeoutMs: number,
  options: OpenSessionOptions,
  open: (options: OpenSessionOptions) => Promise<RelaySession>,
): Promise<RelaySession> {
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), timeoutMs);
  try {
    return await open({ ...options, signal: AbortSignal.any([options.signal, timeout.signal]) });
  } catch (error) {
    if (timeout.signal.aborted && !options.signal.aborted) {
      throw new TransportError(transport, `${transport}: no Welcome within ${timeoutMs} ms`);
    }
    if (error instanceof ConnectorError) throw error;
    throw new TransportError(transport, `${transport}: ${(error as Error).message}`, error);
  } finally {
    clearTimeout(timer);
  }
}

/** The abort controller of a stream being opened, with the open timeout armed. */
export interface OpeningStream {
  /** Aborts the stream: by the caller's signal while opening, by the timeout, or by close(). */
  readonly controller: AbortController;
  /** Whether the open timeout fired. */
  timedOut(): boolean;
  /** Opening is over (opened or failed): disarms the timeout and detaches the caller's signal. */
  opened(): void;
}

/**
 * Arms the open timeout of a long-lived stream: until `opened()`, the
 * caller's signal and the timeout abort the stream's own controller; after
 * it, only the session does (through the controller).
 */
export function startOpening(callerSignal: AbortSignal, timeoutMs: number): OpeningStream {
  const controller = new AbortController();
  const onAbort = () => controller.abort(callerSignal.reason);
  callerSignal.addEventListener("abort", onAbort, { once: true });
  let fired = false;
  const timer = setTimeout(() => {
    fired = true;
    controller.abort();
  }, timeoutMs);
  return {
    controller,
    timedOut: () => fired,
    opened() {
      clearTimeout(timer);
      callerSignal.removeEventListener("abort", onAbort);
    },
  };
}
