/**
 * The hand codecs of wire/ must not silently forget a field of the proto
 * (issue 15): for every field of the generated WebhookMessageSchema, a
 * non-default value survives the hand encoder read by protobuf-es, and
 * protobuf-es's encoding read by the hand decoder; the ingest encoder
 * writes every field but the two the buffer assigns. A field added to
 * message.proto fails here, by name, until both codecs handle it.
 */
import {
  create,
  type DescEnum,
  type DescField,
  type DescMessage,
  equals,
  fromBinary,
  isFieldSet,
  ScalarType,
  toBinary,
} from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import {
  type WebhookMessage,
  WebhookMessageSchema,
} from "../../gen/webhookconnect/v1/message_pb.js";
import { buildMessage } from "../../receiver/ingest/message.js";
import { encodeIngestedMessage, type IngestedFields } from "../../wire/ingested-message.js";
import { decodeWebhookMessage, encodeWebhookMessage } from "../../wire/webhook-message.js";

/** A value of `scalar` that is not its proto3 default. */
function scalarSample(scalar: ScalarType, name: string): unknown {
  switch (scalar) {
    case ScalarType.STRING:
      return `${name} ✓`;
    case ScalarType.BYTES:
      return new Uint8Array([0, 1, 2, 250]);
    case ScalarType.BOOL:
      return true;
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      return 1.5;
    case ScalarType.INT64:
    case ScalarType.UINT64:
    case ScalarType.SINT64:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
      return 300n;
    default:
      return 300;
  }
}

function enumSample(desc: DescEnum): number {
  const value = desc.values.find((v) => v.number !== 0);
  if (value === undefined) throw new Error(`enum ${desc.typeName} has no non-zero value`);
  return value.number;
}

/** A message of `desc` with every field set to a non-default value. */
function messageSample(desc: DescMessage): Record<string, unknown> {
  const init: Record<string, unknown> = {};
  for (const field of desc.fields) init[field.localName] = fieldSample(field);
  return create(desc, init) as unknown as Record<string, unknown>;
}

/** A non-default value of `field` (two elements for a list). */
function fieldSample(field: DescField): unknown {
  switch (field.fieldKind) {
    case "scalar":
      return scalarSample(field.scalar, field.name);
    case "enum":
      return enumSample(field.enum);
    case "message":
      return messageSample(field.message);
    case "list": {
      const one = () =>
        field.listKind === "scalar"
          ? scalarSample(field.scalar, field.name)
          : field.listKind === "enum"
            ? enumSample(field.enum)
            : messageSample(field.message);
      return [one(), one()];
    }
    case "map":
      throw new Error(`map field ${field.name}: add a sample for it`);
  }
}

/** A WebhookMessage with only `field` set. */
function onlyField(field: DescField): WebhookMessage {
  return create(WebhookMessageSchema, { [field.localName]: fieldSample(field) });
}

const fields = WebhookMessageSchema.fields.map((field) => [field.name, field] as const);

describe("WebhookMessage codec keeps every field of the schema", () => {
  it("has fields to check", () => {
    expect(fields.length).toBeGreaterThan(10);
  });

  it.each(fields)("%s: hand encoder → protobuf-es decoder", (name, field) => {
    const message = onlyField(field);
    const decoded = fromBinary(WebhookMessageSchema, encodeWebhookMessage(message));
    expect(isFieldSet(decoded, field), `${name} lost by encodeWebhookMessage`).toBe(true);
    expect(equals(WebhookMessageSchema, decoded, message), `${name} altered`).toBe(true);
  });

  it.each(fields)("%s: protobuf-es encoder → hand decoder", (name, field) => {
    const message = onlyField(field);
    const decoded = decodeWebhookMessage(toBinary(WebhookMessageSchema, message));
    expect(decoded.$unknown, `${name} left unknown by decodeWebhookMessage`).toBeUndefined();
    expect(isFieldSet(decoded, field), `${name} lost by decodeWebhookMessage`).toBe(true);
    expect(equals(WebhookMessageSchema, decoded, message), `${name} altered`).toBe(true);
  });

  it("keeps all fields set at once, both ways", () => {
    const message = messageSample(WebhookMessageSchema) as unknown as WebhookMessage;
    const viaHand = fromBinary(WebhookMessageSchema, encodeWebhookMessage(message));
    expect(equals(WebhookMessageSchema, viaHand, message)).toBe(true);
    const viaEs = decodeWebhookMessage(toBinary(WebhookMessageSchema, message));
    expect(equals(WebhookMessageSchema, viaEs, message)).toBe(true);
  });
});

/** Fields the buffer assigns when it publishes or delivers; the ingest encoder leaves them unset. */
const assignedByBuffer = new Set(["sequence", "delivery_attempt"]);

/** Every field of a new message set to a value that is not its default. */
const ingested: IngestedFields = {
  messageId: "01JMSG",
  channel: "ch",
  webhookId: "wh",
  receivedAtMs: 1_700_000_000_123,
  expiresAtMs: 1_700_086_400_123,
  method: "POST",
  path: "/webhook/wh",
  query: "a=1",
  rawHeaders: ["Content-Type", "application/json", "X-A", "1"],
  body: new Uint8Array([123, 125]),
  contentType: "application/json",
  sourceIp: "203.0.113.9",
  traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
  scheme: "https",
};

describe("ingest encoder writes every field of the schema", () => {
  const decoded = fromBinary(WebhookMessageSchema, encodeIngestedMessage(ingested));
  const built = buildMessage(ingested);

  it.each(fields)("%s", (name, field) => {
    if (assignedByBuffer.has(name)) {
      expect(isFieldSet(decoded, field), `${name} is the buffer's to assign`).toBe(false);
      return;
    }
    expect(isFieldSet(decoded, field), `${name} lost by encodeIngestedMessage`).toBe(true);
    expect(isFieldSet(built, field), `${name} lost by buildMessage`).toBe(true);
    const one = (message: WebhookMessage) =>
      create(WebhookMessageSchema, {
        [field.localName]: (message as unknown as Record<string, unknown>)[field.localName],
      });
    expect(equals(WebhookMessageSchema, one(decoded), one(built)), `${name} differs`).toBe(true);
  });
});
