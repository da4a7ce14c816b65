/**
 * `protocol: auto`: tries a list of transports in order and uses the first
 * that opens a session; the session reports the ones that failed and why.
 * The one that worked is tried first on reconnects. A session on a
 * fallback is ended after `retryPreferredAfterMs` (gracefully: queued acks
 * are sent first) so that the next connect tries the preferred order
 * again — a proxy fixed or a network changed is noticed. When none opens,
 * the error lists every transport with its reason.
 */
import { AllTransportsFailedError, isFatal, ProxyError, TransportError } from "../errors.js";
import type { RelaySession, SessionEnd, Transport, TransportFailure } from "./transport.js";

/** Options of createAutoTransport. */
export interface AutoTransportOptions {
  /** Name in events and errors. @default "auto" */
  readonly name?: string;
  /** Time on a fallback transport before the preferred order is tried again. @default 600000 */
  readonly retryPreferredAfterMs?: number;
}

/** Default time on a fallback before retrying the preferred transports. */
export const DEFAULT_RETRY_PREFERRED_MS = 10 * 60_000;

/** Creates a transport that falls back through `transports` in order. */
export function createAutoTransport(
  transports: readonly Transport[],
  options: AutoTransportOptions = {},
): Transport {
  if (transports.length === 0) throw new Error("createAutoTransport needs at least one transport");
  const retryAfterMs = options.retryPreferredAfterMs ?? DEFAULT_RETRY_PREFERRED_MS;
  let preferred: Transport | undefined;

  function onFallback(session: RelaySession, failures: TransportFailure[]): RelaySession {
    let upgrading = false;
    const timer = setTimeout(() => {
      upgrading = true;
      preferred = undefined;
      void session.close();
    }, retryAfterMs);
    timer.unref();
    const closed = session.closed.then((end): SessionEnd => {
      clearTimeout(timer);
      if (!upgrading) return end;
      const minutes = Math.round(retryAfterMs / 6_000) / 10;
      return {
        kind: "local",
        error: new TransportError(
          session.transport,
          `retrying the preferred transports after ${minutes} min on ${session.transport}`,
        ),
      };
    });
    return {
      transport: session.transport,
      fallbacks: failures,
      welcome: session.welcome,
      messages: session.messages,
      ack: (id) => session.ack(id),
      nack: (id, nackOptions) => session.nack(id, nackOptions),
      heartbeat: () => session.heartbeat(),
      close: async (error) => {
        await session.close(error);
        await closed;
      },
      closed,
    };
  }

  return {
    name: options.name ?? "auto",
    async open(openOptions) {
      const order =
        preferred === undefined
          ? transports
          : [preferred, ...transports.filter((t) => t !== preferred)];
      const failures: TransportFailure[] = [];
      for (const transport of order) {
        openOptions.signal.throwIfAborted();
        try {
          const session = await transport.open(openOptions);
          preferred = transport;
          return transport === transports[0] ? session : onFallback(session, failures);
        } catch (error) {
          const err = error instanceof Error ? error : new Error(String(error));
          failures.push({ transport: transport.name, error: err });
          // The proxy refusing the credentials concerns no transport in particular.
          if (err instanceof ProxyError && err.fatal) throw err;
          // A refused token or unknown channel is the same on every transport.
          if (isFatal(err)) break;
        }
      }
      throw sameProxyFailure(failures) ?? new AllTransportsFailedError(failures);
    },
    async close() {
      await Promise.all(transports.map((t) => t.close()));
    },
  };
}

/** The proxy's error when every transport failed on it the same way (e.g. unreachable). */
function sameProxyFailure(failures: readonly TransportFailure[]): ProxyError | undefined {
  const first = failures[0]?.error;
  if (!(first instanceof ProxyError)) return undefined;
  return failures.every((f) => f.error instanceof ProxyError && f.error.message === first.message)
    ? first
    : undefined;
}
