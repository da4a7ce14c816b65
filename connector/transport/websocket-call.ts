/**
 * The bidi `Connect` call carried over a WebSocket with the
 * `webhookconnect.v1.proto` subprotocol: each client frame is one binary
 * ConnectRequest, each server frame one binary ConnectResponse. Failures
 * are reported as ConnectErrors so the RPC session logic applies as is.
 */
import { toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import WebSocket from "ws";
import { ConnectRequestSchema } from "../../gen/webhookconnect/v1/relay_pb.js";
import { decodeConnectResponse, type ServerResponse } from "../../wire/index.js";
import { codeFromHttp } from "./http-errors.js";
import type { ForwardProxy } from "./proxy.js";
import { openTunnel, tlsOverTunnel } from "./proxy-tunnel.js";
import type { BidiCall } from "./rpc-session.js";
import type { TlsOptions } from "./tls.js";

/** The subprotocol of binary protobuf frames. */
export const PROTO_SUBPROTOCOL = "webhookconnect.v1.proto";

/** Close codes that mean "come back later" rather than "broken". */
const CLOSE_CODES: Record<number, Code> = {
  1008: Code.InvalidArgument,
  1013: Code.ResourceExhausted,
};

/** Opens the CONNECT tunnel a WebSocket to `url` goes through; failures are ConnectErrors. */
async function tunnelFor(
  url: string,
  tls: TlsOptions | undefined,
  proxy: ForwardProxy,
  signal: AbortSignal,
) {
  const target = new URL(url);
  const secure = target.protocol === "wss:";
  const port = target.port === "" ? (secure ? 443 : 80) : Number(target.port);
  try {
    const tunnel = await openTunnel(proxy, target.hostname, port, signal);
    return secure ? tlsOverTunnel(tunnel, target.hostname, tls, ["http/1.1"]) : tunnel;
  } catch (error) {
    throw new ConnectError((error as Error).message, Code.Unavailable, undefined, undefined, error);
  }
}

/** Creates a BidiCall that opens a WebSocket to `url` per call, through `proxy` when given. */
export function websocketBidiCall(
  url: string,
  tls: TlsOptions | undefined,
  proxy?: ForwardProxy,
): BidiCall {
  return (requests, { signal, headers }) => ({
    async *[Symbol.asyncIterator]() {
      const socket = proxy === undefined ? undefined : await tunnelFor(url, tls, proxy, signal);
      const ws = new WebSocket(url, [PROTO_SUBPROTOCOL], {
        headers,
        perMessageDeflate: false,
        ...(url.startsWith("wss:") && tls !== undefined ? tls : {}),
        ...(socket === undefined ? {} : { createConnection: () => socket }),
      });
      const inbox: ServerResponse[] = [];
      let failure: ConnectError | undefined;
      let finished = false;
      let wake: (() => void) | undefined;
      const notify = () => {
        const w = wake;
        wake = undefined;
        w?.();
      };
      const fail = (error: ConnectError) => {
        if (finished) return;
        failure = error;
        finished = true;
        notify();
      };
      const onAbort = () => {
        fail(new ConnectError("the call was cancelled", Code.Canceled));
        ws.terminate();
      };
      if (signal.aborted) onAbort();
      else signal.addEventListener("abort", onAbort, { once: true });

      ws.on("message", (data, isBinary) => {
        if (!isBinary) return;
        try {
          inbox.push(decodeConnectResponse(data as Buffer));
          notify();
        } catch (error) {
          fail(new ConnectError(`malformed frame: ${(error as Error).message}`, Code.Internal));
          ws.terminate();
        }
      });
      ws.on("unexpected-response", (_req, res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          if (body.length < 4096) body += chunk;
        });
        res.on("end", () => {
          const status = res.statusCode ?? 0;
          fail(
            new ConnectError(
              `upgrade refused with HTTP ${status} ${body}`.trim(),
              codeFromHttp(status, body),
            ),
          );
        });
        res.on("error", () =>
          fail(new ConnectError(`upgrade refused with HTTP ${res.statusCode}`, Code.Unavailable)),
        );
      });
      ws.on("error", (error) => fail(new ConnectError(error.message, Code.Unavailable)));
      ws.on("close", (code, reason) => {
        if (code === 1000 || code === 1005) {
          finished = true;
          notify();
          return;
        }
        fail(
          new ConnectError(
            `WebSocket closed (${code}${reason.length > 0 ? ` ${reason.toString()}` : ""})`,
            CLOSE_CODES[code] ?? Code.Unavailable,
          ),
        );
      });
      ws.once("open", () => {
        void (async () => {
          for await (const request of requests) {
            if (ws.readyState !== WebSocket.OPEN) return;
            ws.send(toBinary(ConnectRequestSchema, request));
          }
          if (ws.readyState === WebSocket.OPEN) ws.close(1000, "client done");
        })();
      });

      try {
        for (;;) {
          const next = inbox.shift();
          if (next !== undefined) {
            yield next;
            continue;
          }
          if (finished) {
            if (failure !== undefined) throw failure;
            return;
          }
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
        }
      } finally {
        signal.removeEventListener("abort", onAbort);
        if (ws.readyState !== WebSocket.CLOSED) ws.terminate();
      }
    },
  });
}
