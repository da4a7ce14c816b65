/**
 * Server frames read with the message left as bytes. protobuf-es decodes
 * by walking the schema at run time; for the one frame that matters (a
 * delivered WebhookMessage) the connector instead reads `ConnectResponse`
 * and `SubscribeResponse` through a copy of their schema whose field 2 is
 * declared `bytes` — the same wire form as an embedded message — and decodes
 * those bytes with the direct codec (webhook-message.ts).
 * Welcome, heartbeat and notice frames decode as before.
 */
import { create, createFileRegistry, type DescMessage, fromBinary } from "@bufbuild/protobuf";
import {
  FieldDescriptorProto_Label,
  FieldDescriptorProto_Type,
  FileDescriptorProtoSchema,
} from "@bufbuild/protobuf/wkt";
import type { WebhookMessage } from "../gen/webhookconnect/v1/message_pb.js";
import {
  type ConnectResponse,
  file_webhookconnect_v1_relay,
  RelayService,
} from "../gen/webhookconnect/v1/relay_pb.js";
import { decodeWebhookMessage } from "./webhook-message.js";

/** A server frame whose message may still be its encoded bytes. */
export type ServerFrame = ConnectResponse["frame"] | { case: "message"; value: Uint8Array };

/** A `ConnectResponse` or `SubscribeResponse` as the transports read it. */
export interface ServerResponse {
  readonly frame: ServerFrame;
}

const PACKAGE = "webhookconnect.v1.lazy";

function frameMessage(name: string) {
  const field = (fieldName: string, number: number, typeName?: string) => ({
    name: fieldName,
    jsonName: fieldName,
    number,
    label: FieldDescriptorProto_Label.OPTIONAL,
    type:
      typeName === undefined ? FieldDescriptorProto_Type.BYTES : FieldDescriptorProto_Type.MESSAGE,
    ...(typeName === undefined ? {} : { typeName }),
    oneofIndex: 0,
  });
  return {
    name,
    field: [
      field("welcome", 1, ".webhookconnect.v1.Welcome"),
      field("message", 2),
      field("heartbeat", 3, ".webhookconnect.v1.Heartbeat"),
      field("notice", 4, ".webhookconnect.v1.Notice"),
    ],
    oneofDecl: [{ name: "frame" }],
  };
}

const registry = createFileRegistry(
  create(FileDescriptorProtoSchema, {
    name: "webhookconnect/v1/lazy_frames.proto",
    package: PACKAGE,
    syntax: "proto3",
    dependency: [file_webhookconnect_v1_relay.proto.name],
    messageType: [frameMessage("ConnectResponse"), frameMessage("SubscribeResponse")],
  }),
  (file) =>
    file === file_webhookconnect_v1_relay.proto.name ? file_webhookconnect_v1_relay : undefined,
);

function lazyMessage(name: string): DescMessage {
  const desc = registry.getMessage(`${PACKAGE}.${name}`);
  if (desc === undefined) throw new Error(`lazy frame schema ${name} missing`);
  return desc;
}

const lazyConnectResponse = lazyMessage("ConnectResponse");
const lazySubscribeResponse = lazyMessage("SubscribeResponse");

/**
 * RelayService with `Connect` and `Subscribe` answering lazy frames. Same
 * service name, methods and wire format; only the decoding differs.
 */
export const LazyRelayService: typeof RelayService = {
  ...RelayService,
  methods: RelayService.methods.map((method) => {
    if (method.name === "Connect") return { ...method, output: lazyConnectResponse };
    if (method.name === "Subscribe") return { ...method, output: lazySubscribeResponse };
    return method;
  }),
} as typeof RelayService;

/** The message of a frame, decoding it if it is still bytes. */
export function messageOf(value: WebhookMessage | Uint8Array): WebhookMessage {
  return value instanceof Uint8Array ? decodeWebhookMessage(value) : value;
}

/** Decodes a binary `ConnectResponse` (the protobuf WebSocket's frames). */
export function decodeConnectResponse(data: Uint8Array): ServerResponse {
  return fromBinary(lazyConnectResponse, data) as unknown as ServerResponse;
}
