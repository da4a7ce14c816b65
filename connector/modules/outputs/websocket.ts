/**
 * `websocket`: sends each message over a WebSocket connection kept open
 * between deliveries — the JSON envelope (text frame) by default, or the
 * raw body (binary frame) with `format: "raw"`. The delivery resolves when
 * the frame was written to the socket, or with `wait_for_response` when
 * the server answered with any frame. Connecting is tried `max_retries`
 * times per delivery.
 */
import { WebSocket } from "ws";
import { z } from "zod";
import { childLocation, configError, parseConfig } from "../config/parse.js";
import { boolLike, intLike, nonEmpty, secondsLike } from "../config/values.js";
import { publishPayload } from "../message/envelope.js";
import { toDeliveryError, withTimeout } from "../message/failure.js";
import type { ModuleBuildContext, ModuleDefinition } from "../module-definition.js";
import type { OutputModule } from "../output-module.js";

/** `module-config` of `websocket`. */
export const websocketOptionsSchema = z.strictObject({
  /** `ws://` or `wss://` URL. */
  url: nonEmpty,
  /** `json` (envelope, text frame) or `raw` (body, binary frame). @default "json" */
  format: z.enum(["json", "raw"]).default("json"),
  /** Include request headers in the envelope. @default false */
  include_headers: boolLike.default(false),
  /** Wait for a frame from the server after each send. @default false */
  wait_for_response: boolLike.default(false),
  /** Seconds for connecting, sending and waiting. @default 10 */
  timeout: secondsLike.default(10),
  /** Connection attempts per delivery. @default 3 */
  max_retries: intLike.pipe(z.number().min(1).max(10)).default(3),
  /** Headers sent with the opening handshake (e.g. Authorization). @default {} */
  headers: z.record(z.string(), z.string()).default({}),
});

function open(url: string, headers: Record<string, string>, timeoutMs: number): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers, handshakeTimeout: timeoutMs });
    socket.once("open", () => {
      socket.removeAllListeners("error");
      socket.on("error", () => socket.terminate());
      resolve(socket);
    });
    socket.once("error", reject);
  });
}

function createWebsocket(build: ModuleBuildContext): OutputModule {
  const options = parseConfig(websocketOptionsSchema, build.context.moduleConfig, build.location);
  let url: URL;
  try {
    url = new URL(options.url);
  } catch {
    configError(childLocation(build.location, "url"), `not a valid URL: ${options.url}`);
  }
  if (url.protocol !== "ws:" && url.protocol !== "wss:") {
    configError(childLocation(build.location, "url"), "must be a ws:// or wss:// URL");
  }
  const timeoutMs = Math.round(options.timeout * 1000);
  let socket: WebSocket | undefined;
  let opening: Promise<WebSocket> | undefined;
  // Deliveries share one socket; with wait_for_response they take turns so
  // each response is matched to the send that caused it.
  let turn: Promise<unknown> = Promise.resolve();

  async function connectWithRetries(): Promise<WebSocket> {
    let lastError: unknown;
    for (let attempt = 1; attempt <= options.max_retries; attempt++) {
      try {
        return await open(url.toString(), options.headers, timeoutMs);
      } catch (error) {
        lastError = error;
      }
    }
    throw lastError;
  }

  function current(): Promise<WebSocket> {
    if (socket !== undefined && socket.readyState === WebSocket.OPEN)
      return Promise.resolve(socket);
    opening ??= connectWithRetries().then(
      (created) => {
        socket = created;
        opening = undefined;
        created.on("close", () => {
          if (socket === created) socket = undefined;
        });
        return created;
      },
      (error: unknown) => {
        opening = undefined;
        throw error;
      },
    );
    return opening;
  }

  async function sendOnce(data: string | Buffer): Promise<void> {
    const ws = await current();
    const response = options.wait_for_response
      ? new Promise<void>((resolve, reject) => {
          const onMessage = () => {
            ws.off("close", onClose);
            resolve();
          };
          const onClose = () => {
            ws.off("message", onMessage);
            reject(new Error("connection closed before a response"));
          };
          ws.once("message", onMessage);
          ws.once("close", onClose);
        })
      : undefined;
    await new Promise<void>((resolve, reject) =>
      ws.send(data, { binary: typeof data !== "string" }, (error) =>
        error ? reject(error) : resolve(),
      ),
    );
    if (response !== undefined) await withTimeout(response, timeoutMs, "websocket response");
  }

  return {
    name: "websocket",
    async deliver(message) {
      const data = publishPayload(
        message,
        options.format,
        build.context.dataType,
        options.include_headers,
      );
      const run = options.wait_for_response ? turn.then(() => sendOnce(data)) : sendOnce(data);
      if (options.wait_for_response) turn = run.catch(() => {});
      try {
        await withTimeout(run, timeoutMs * (options.max_retries + 1), "websocket");
      } catch (error) {
        socket?.terminate();
        socket = undefined;
        throw toDeliveryError("websocket", error, true);
      }
    },
    async close() {
      const ws = socket;
      socket = undefined;
      if (ws === undefined) return;
      await new Promise<void>((resolve) => {
        if (ws.readyState === WebSocket.CLOSED) return resolve();
        ws.once("close", () => resolve());
        ws.close(1000);
        setTimeout(() => {
          ws.terminate();
          resolve();
        }, 2_000).unref();
      });
    },
  };
}

/** Registry entry of `websocket`. */
export const websocketModule: ModuleDefinition = {
  name: "websocket",
  aliases: ["ws"],
  connectionTypes: [],
  connectionRequired: false,
  create: createWebsocket,
};
