/**
 * Test harness of the ingest handler: a real node:http server on port 0
 * routing `/webhook/{id}` to the handler, and a raw HTTP/1.1 client that
 * controls every byte sent and sees every byte answered.
 */

import { once } from "node:events";
import { createServer, type Server } from "node:http";
import { connect, type Socket } from "node:net";
import type { AddressRange } from "../../../receiver/auth/index.js";
import type { CreateVerifiers } from "../../../receiver/auth/verifier.js";
import type { Buffer as MessageBuffer } from "../../../receiver/buffer/buffer.js";
import { parseReceiverConfig, type ReceiverConfig } from "../../../receiver/config/index.js";
import {
  createIngestHandler,
  type IngestEvent,
  type IngestHandler,
} from "../../../receiver/ingest/index.js";

/** A running ingest server. */
export interface IngestServer {
  readonly port: number;
  readonly handler: IngestHandler;
  /** The next event of `type` the handler reports after this call. */
  nextEvent<T extends IngestEvent["type"]>(type: T): Promise<Extract<IngestEvent, { type: T }>>;
  /** Server-side sockets, in accept order. */
  readonly sockets: Socket[];
  close(): Promise<void>;
}

/** Builds a ReceiverConfig from a webhooks.json document. */
export function configOf(document: Record<string, unknown>): ReceiverConfig {
  return parseReceiverConfig(JSON.stringify(document), "webhooks.json", { env: {} });
}

/** A relayed entry of channel `ch` with extra module-config and entry keys. */
export function relayEntry(
  moduleConfig: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    module: "webhook_connect",
    "module-config": { channel: "ch", channel_token: "tok", ...moduleConfig },
    ...extra,
  };
}

const noVerifiers: CreateVerifiers = () => [];

/** Starts a server on 127.0.0.1, port 0. */
export async function startIngestServer(options: {
  config: ReceiverConfig;
  buffer: MessageBuffer;
  createVerifiers?: CreateVerifiers;
  trustedProxies?: readonly AddressRange[];
}): Promise<IngestServer> {
  // Resolved by the next event of their type, like `events.once` on an emitter.
  const waiters: { type: IngestEvent["type"]; resolve: (event: IngestEvent) => void }[] = [];
  const handler = createIngestHandler({
    config: options.config,
    buffer: options.buffer,
    createVerifiers: options.createVerifiers ?? noVerifiers,
    onEvent: (event) => {
      for (const waiter of waiters.splice(0)) {
        if (waiter.type === event.type) waiter.resolve(event);
        else waiters.push(waiter);
      }
    },
    ...(options.trustedProxies === undefined ? {} : { trustedProxies: options.trustedProxies }),
  });
  const sockets: Socket[] = [];
  const server: Server = createServer((req, res) => {
    const match = /^\/webhook\/([^/?]*)/.exec(req.url ?? "");
    if (match === null) {
      res.writeHead(404).end();
      return;
    }
    void handler.handle(req, res, match[1]!);
  });
  server.on("connection", (socket) => sockets.push(socket));
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return {
    port: address.port,
    handler,
    nextEvent<T extends IngestEvent["type"]>(type: T) {
      return new Promise<Extract<IngestEvent, { type: T }>>((resolve) => {
        waiters.push({ type, resolve: resolve as (event: IngestEvent) => void });
      });
    },
    sockets,
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, "close");
      await handler.close();
    },
  };
}

/** A parsed HTTP/1.1 response. */
export interface RawResponse {
  readonly status: number;
  /** Header names lower-cased; repeated headers joined with ", ". */
  readonly headers: Record<string, string>;
  readonly body: Buffer;
  /** The body parsed as JSON. */
  json(): Record<string, unknown>;
}

/** Parses one complete response (Content-Length framed) from `bytes`, or undefined if incomplete. */
export function parseResponse(bytes: Buffer): RawResponse | undefined {
  const end = bytes.indexOf("\r\n\r\n");
  if (end === -1) return undefined;
  const [statusLine, ...lines] = bytes.subarray(0, end).toString("latin1").split("\r\n");
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    const name = line.slice(0, colon).toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  const length = Number(headers["content-length"] ?? 0);
  const body = bytes.subarray(end + 4, end + 4 + length);
  if (body.length < length) return undefined;
  return {
    status: Number(statusLine?.split(" ")[1]),
    headers,
    body,
    json: () => JSON.parse(body.toString("utf8")) as Record<string, unknown>,
  };
}

/**
 * Sends `head` (request line and headers, `\r\n` separated, without the
 * final blank line) and `body` on a new connection and reads until the
 * server closes it (`Connection: close` is added).
 */
export async function rawRequest(
  port: number,
  head: string,
  body: Buffer | string = "",
): Promise<RawResponse> {
  const socket = connect({ port, host: "127.0.0.1" });
  await once(socket, "connect");
  const chunks: Buffer[] = [];
  socket.on("data", (chunk: Buffer) => chunks.push(chunk));
  const closed = once(socket, "close");
  socket.on("error", () => undefined);
  // No half-close: Node's server aborts a request whose client sent FIN.
  socket.write(`${head}\r\nConnection: close\r\n\r\n`);
  socket.write(body);
  await closed;
  const response = parseResponse(Buffer.concat(chunks));
  if (response === undefined) throw new Error("incomplete response");
  return response;
}

/** A request head for `POST /webhook/{id}` with a Content-Length for `body`. */
export function postHead(
  path: string,
  body: Buffer | string,
  headers: readonly string[] = ["Content-Type: application/json"],
): string {
  const length = Buffer.byteLength(body);
  return [
    `POST ${path} HTTP/1.1`,
    "Host: relay.test",
    ...headers,
    `Content-Length: ${length}`,
  ].join("\r\n");
}
