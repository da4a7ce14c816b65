/**
 * Checks that the receiver (or whatever is in between) speaks HTTP/2
 * before a Connect-RPC session manager is used: a proxy that answers the
 * h2c preface with an HTTP/1.1 response makes Node's HTTP/2 session emit
 * errors after connect-node stopped listening, which would crash the
 * process. The probe owns its session and every error of it.
 */
import http2, { type SecureClientSessionOptions } from "node:http2";
import { TransportError } from "../errors.js";

/** Resolves once the server sent its HTTP/2 SETTINGS; rejects with a TransportError otherwise. */
export function probeHttp2(
  transport: string,
  baseUrl: string,
  options: SecureClientSessionOptions,
  signal: AbortSignal,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(new URL(baseUrl).origin, options);
    // Errors after the outcome is known are expected (the session is torn down).
    session.on("error", () => undefined);
    let settled = false;
    const finish = (error?: Error) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener("abort", onAbort);
      session.destroy();
      if (error === undefined) resolve();
      else reject(error);
    };
    const onAbort = () => finish(new TransportError(transport, `${transport}: cancelled`));
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
    session.once("remoteSettings", () => finish());
    session.once("error", (error: Error) =>
      finish(new TransportError(transport, `${transport}: HTTP/2 failed: ${error.message}`, error)),
    );
    session.once("close", () =>
      finish(
        new TransportError(transport, `${transport}: HTTP/2 connection closed before SETTINGS`),
      ),
    );
  });
}
