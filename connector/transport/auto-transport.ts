/**
 * `protocol: auto`: tries a list of transports in order and uses the first
 * that opens a session. The one that worked last is tried first next time.
 * When none opens, the error lists every transport with its reason.
 */
import { AllTransportsFailedError, isFatal } from "../errors.js";
import type { Transport } from "./transport.js";

/** Creates a transport that falls back through `transports` in order. */
export function createAutoTransport(transports: readonly Transport[]): Transport {
  if (transports.length === 0) throw new Error("createAutoTransport needs at least one transport");
  let preferred: Transport | undefined;
  return {
    name: "auto",
    async open(options) {
      const order =
        preferred === undefined
          ? transports
          : [preferred, ...transports.filter((t) => t !== preferred)];
      const failures: { transport: string; error: Error }[] = [];
      for (const transport of order) {
        options.signal.throwIfAborted();
        try {
          const session = await transport.open(options);
          preferred = transport;
          return session;
        } catch (error) {
          const err = error instanceof Error ? error : new Error(String(error));
          failures.push({ transport: transport.name, error: err });
          // A refused token or unknown channel is the same on every transport.
          if (isFatal(err)) break;
        }
      }
      throw new AllTransportsFailedError(failures);
    },
    async close() {
      await Promise.all(transports.map((t) => t.close()));
    },
  };
}
