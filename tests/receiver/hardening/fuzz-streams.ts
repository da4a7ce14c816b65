/**
 * Seeded generators of hostile streaming traffic for the fuzz test:
 * RelayService calls (gRPC over HTTP/2, Connect over HTTP/1.1) with random
 * and mutated envelopes, WebSocket frames (JSON and protobuf subprotocols)
 * and the JSON-frame endpoints (SSE, long-poll, `POST /connect/ack`).
 */
import { create, toBinary } from "@bufbuild/protobuf";
import {
  AckRequestSchema,
  ConnectRequestSchema,
  HelloSchema,
  PullRequestSchema,
  SubscribeRequestSchema,
} from "../../../gen/webhookconnect/v1/relay_pb.js";
import type { Random } from "./fuzz-requests.js";

/** Channel, and its token, of the fuzzed stream endpoints. */
export const STREAM_CHANNEL = "ch-fuzz";
export const STREAM_TOKEN = `tok-${STREAM_CHANNEL}`;

const METHODS = ["Connect", "Subscribe", "Ack", "Pull", "Nope"] as const;

function authorization(rng: Random): string | undefined {
  switch (rng.int(0, 5)) {
    case 0:
      return undefined;
    case 1:
      return "Bearer wrong-token";
    case 2:
      return rng.token(rng.int(1, 40));
    default:
      return `Bearer ${STREAM_TOKEN}`;
  }
}

/** A valid request message of `method`, encoded. */
function validMessage(rng: Random, method: string): Uint8Array {
  const hello = create(HelloSchema, {
    channel: rng.chance(0.9) ? STREAM_CHANNEL : rng.token(rng.int(0, 70)),
    group: rng.chance(0.8) ? "" : rng.token(rng.int(1, 70)),
    maxInFlight: rng.int(0, 5),
  });
  switch (method) {
    case "Connect":
      return toBinary(
        ConnectRequestSchema,
        create(ConnectRequestSchema, { frame: { case: "hello", value: hello } }),
      );
    case "Subscribe":
      return toBinary(SubscribeRequestSchema, create(SubscribeRequestSchema, { hello }));
    case "Pull":
      return toBinary(
        PullRequestSchema,
        create(PullRequestSchema, { hello, maxMessages: rng.int(0, 3), timeout: { seconds: 0n } }),
      );
    default:
      return toBinary(
        AckRequestSchema,
        create(AckRequestSchema, {
          channel: STREAM_CHANNEL,
          ackMessageIds: Array.from({ length: rng.int(0, 4) }, () => rng.token(26)),
        }),
      );
  }
}

function mutate(rng: Random, bytes: Uint8Array): Buffer {
  const out = Buffer.from(bytes);
  if (out.length === 0) return rng.bytes(rng.int(1, 32));
  for (let i = rng.int(1, 4); i > 0; i--) out[rng.int(0, out.length - 1)] = rng.int(0, 255);
  return rng.chance(0.3) ? out.subarray(0, rng.int(0, out.length)) : out;
}

/** One length-prefixed frame, sometimes with lying flags or length. */
function envelope(rng: Random, payload: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head[0] = rng.chance(0.85) ? 0 : rng.pick([1, 2, 0x80, 0xff]);
  const length = rng.chance(0.85)
    ? payload.length
    : rng.pick([0, payload.length + rng.int(1, 100), 0x7fffffff, 0xffffffff]);
  head.writeUInt32BE(length >>> 0, 1);
  return Buffer.concat([head, payload]);
}

/** A RelayService call over HTTP/2 (gRPC framing). */
export interface RpcFuzzCase {
  readonly kind: "rpc";
  readonly label: string;
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

/** A RelayService call over HTTP/2: random method, token, content type and frames. */
export function rpcCase(rng: Random): RpcFuzzCase {
  const method = rng.pick(METHODS);
  const frames: Buffer[] = [];
  for (let i = rng.int(0, 3); i >= 0; i--) {
    const valid = Buffer.from(validMessage(rng, method));
    const payload = rng.chance(0.4)
      ? valid
      : rng.chance(0.5)
        ? mutate(rng, valid)
        : rng.bytes(rng.int(0, 200));
    frames.push(envelope(rng, payload));
  }
  const headers: Record<string, string> = {
    "content-type": rng.pick([
      "application/grpc",
      "application/grpc+proto",
      "application/grpc+json",
      "application/grpc-web+proto",
      "application/connect+proto",
      "application/proto",
      "application/json",
      "text/plain",
    ]),
  };
  const auth = authorization(rng);
  if (auth !== undefined) headers["authorization"] = auth;
  if (rng.chance(0.1)) headers["grpc-encoding"] = rng.pick(["gzip", "br", "x-none"]);
  if (rng.chance(0.1)) headers["grpc-timeout"] = rng.pick(["1S", "0m", "99999999H", "x"]);
  if (rng.chance(0.5)) headers["te"] = "trailers";
  let body = Buffer.concat(frames);
  if (rng.chance(0.1)) body = body.subarray(0, rng.int(0, body.length));
  return { kind: "rpc", label: `${method} ${headers["content-type"]}`, method, headers, body };
}

/** Text of a client JSON frame: valid, mutated, deep or garbage. */
export function clientJsonText(rng: Random, messageIds: readonly string[]): string {
  const id = messageIds.length > 0 && rng.chance(0.7) ? rng.pick(messageIds) : rng.token(26);
  const valid = JSON.stringify(
    rng.pick([
      { type: "ack", message_id: id },
      { type: "ack", message_ids: [id, rng.token(5)] },
      { type: "nack", message_id: id, retry: rng.chance(0.5), reason: rng.token(10) },
      { type: "nack", message_id: id, retry: "maybe" },
      { type: "heartbeat" },
      { status: "ack", message_id: id },
      { type: rng.token(4) },
      { acks: [id], nacks: [{ message_id: rng.token(26), retry: false }], channel: STREAM_CHANNEL },
      [
        { type: "ack", message_id: id },
        { type: "nack", message_id: id },
      ],
      { message_id: id, nack: true, delay_seconds: rng.pick([-1, 1e308, 5]) },
    ]),
  );
  switch (rng.int(0, 7)) {
    case 0: {
      const depth = rng.pick([10, 600, 200_000]);
      return `${"[".repeat(depth)}${"]".repeat(depth)}`;
    }
    case 1:
      return rng.bytes(rng.int(0, 200)).toString("latin1");
    case 2: {
      const chars = [...valid];
      for (let i = rng.int(1, 3); i > 0; i--) {
        chars[rng.int(0, chars.length - 1)] = rng.pick(["{", "}", '"', ",", ":", "\\", "\u0000"]);
      }
      return chars.join("");
    }
    case 3:
      return rng.pick(["", "null", "42", '"ack"', "[]", "{}", "true"]);
    default:
      return valid;
  }
}

/** A request to the SSE, long-poll or ack endpoint. */
export interface JsonEndpointCase {
  readonly kind: "json-endpoint";
  readonly label: string;
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: string | undefined;
}

function queryOf(rng: Random): string {
  const parameters: string[] = [];
  const values = ["", "0", "1", "-1", "0.01", "1e9", "NaN", "abc", "%zz", "a".repeat(100)];
  for (const name of [
    "timeout",
    "max_messages",
    "max_in_flight",
    "group",
    "connector_id",
    "message_id",
    "status",
    "retry",
    "channel",
    "connection_id",
    "token",
  ]) {
    if (rng.chance(0.25)) parameters.push(`${name}=${rng.pick(values)}`);
  }
  // A poll never waits long in the fuzz run.
  parameters.push("timeout=0");
  return parameters.join("&");
}

/** A request to one of the JSON-frame endpoints with random parameters, headers and bodies. */
export function jsonEndpointCase(rng: Random, messageIds: readonly string[]): JsonEndpointCase {
  const headers: Record<string, string> = {};
  const auth = authorization(rng);
  if (auth !== undefined) headers["authorization"] = auth;
  if (rng.chance(0.3)) headers["x-connection-id"] = rng.token(rng.int(1, 40));
  if (rng.chance(0.2)) headers["x-connector-id"] = rng.token(rng.int(1, 200));
  const channel = rng.chance(0.9) ? STREAM_CHANNEL : encodeURIComponent(rng.token(rng.int(1, 20)));
  switch (rng.int(0, 4)) {
    case 0:
      return {
        kind: "json-endpoint",
        label: "sse",
        method: "GET",
        path: `/connect/stream/${channel}/sse?${queryOf(rng)}`,
        headers,
        body: undefined,
      };
    case 1:
      return {
        kind: "json-endpoint",
        label: "poll",
        method: rng.chance(0.9) ? "GET" : "DELETE",
        path: `/connect/stream/${channel}/poll?${queryOf(rng)}`,
        headers,
        body: undefined,
      };
    default:
      headers["content-type"] = rng.pick(["application/json", "text/plain", ""]);
      return {
        kind: "json-endpoint",
        label: "ack",
        method: "POST",
        path: `/connect/ack?${queryOf(rng)}`,
        headers,
        body: rng.chance(0.9) ? clientJsonText(rng, messageIds) : "",
      };
  }
}

/** A WebSocket session: subprotocol and the frames sent once it is open. */
export interface WebSocketFuzzCase {
  readonly kind: "websocket";
  readonly label: string;
  readonly protocol: "json" | "proto";
  readonly authorization: string | undefined;
  readonly frames: readonly { readonly data: Buffer | string; readonly binary: boolean }[];
}

/** A WebSocket connection with random frames of either subprotocol. */
export function webSocketCase(rng: Random, messageIds: readonly string[]): WebSocketFuzzCase {
  const protocol = rng.chance(0.6) ? "json" : "proto";
  const frames: { data: Buffer | string; binary: boolean }[] = [];
  for (let i = rng.int(1, 6); i > 0; i--) {
    if (protocol === "json") {
      frames.push(
        rng.chance(0.1)
          ? { data: rng.bytes(rng.int(1, 50)), binary: true }
          : { data: clientJsonText(rng, messageIds), binary: false },
      );
    } else {
      const valid = Buffer.from(validMessage(rng, "Connect"));
      frames.push(
        rng.chance(0.1)
          ? { data: rng.token(20), binary: false }
          : { data: rng.chance(0.5) ? valid : mutate(rng, valid), binary: true },
      );
    }
  }
  return {
    kind: "websocket",
    label: `websocket ${protocol}`,
    protocol,
    authorization: rng.chance(0.85) ? `Bearer ${STREAM_TOKEN}` : authorization(rng),
    frames,
  };
}
