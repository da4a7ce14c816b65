/**
 * The row written for one message: relay metadata, payload columns and
 * mapped field values, converted to the declared field types. A value that
 * cannot be converted is a permanent failure: redelivering the same
 * message cannot fix it.
 */
import type { WebhookMessage } from "../../../../gen/webhookconnect/v1/message_pb.js";
import { decodeBody, headersObject, receivedAt } from "../../message/envelope.js";
import { ModuleDeliveryError } from "../../output-module.js";
import type { FieldType, PlannedField, TablePlan } from "./options.js";

/** A column value as the drivers take it. */
export type SqlValue = string | number | boolean | Date | Buffer | null;

/** Ordered column → value pairs. */
export type Row = ReadonlyArray<readonly [string, SqlValue]>;

function valueAt(document: unknown, path: readonly string[]): unknown {
  let current = document;
  for (const key of path) {
    if (current === null || typeof current !== "object" || Array.isArray(current)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

function invalid(column: string, expected: string): never {
  throw new ModuleDeliveryError(`column ${column}: value is not ${expected}`, { retryable: false });
}

/** Converts a payload value to the column's type; undefined and null become NULL. */
export function convertValue(value: unknown, type: FieldType, column: string): SqlValue {
  if (value === undefined || value === null) return null;
  switch (type) {
    case "string":
    case "text":
      return typeof value === "object" ? JSON.stringify(value) : String(value);
    case "integer":
    case "int":
      if (typeof value === "number" && Number.isSafeInteger(value)) return value;
      if (typeof value === "string" && /^-?\d{1,18}$/.test(value)) return value;
      return invalid(column, "an integer");
    case "float":
    case "number":
      if (typeof value === "number") return value;
      if (typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value))) {
        return Number(value);
      }
      return invalid(column, "a number");
    case "boolean":
    case "bool":
      if (typeof value === "boolean") return value;
      if (value === "true" || value === "false") return value === "true";
      return invalid(column, "a boolean");
    case "datetime":
    case "timestamp": {
      // Numbers are Unix time: seconds, or milliseconds when that large.
      const date =
        typeof value === "number"
          ? new Date(Math.abs(value) < 1e11 ? value * 1000 : value)
          : typeof value === "string"
            ? new Date(value)
            : undefined;
      if (date === undefined || Number.isNaN(date.getTime())) return invalid(column, "a date-time");
      return date;
    }
    case "date":
    case "time":
      if (typeof value === "string") return value;
      return invalid(column, `a ${type} string`);
    case "json":
      return JSON.stringify(value);
  }
}

function fieldValue(payload: unknown, field: PlannedField): SqlValue {
  return convertValue(valueAt(payload, field.path), field.type, field.column);
}

/** Builds the row for `message` under `plan`. */
export function rowFor(message: WebhookMessage, dataType: "json" | "blob", plan: TablePlan): Row {
  const body = decodeBody(message, dataType);
  const row: Array<readonly [string, SqlValue]> = [
    ["message_id", message.messageId],
    ["webhook_id", message.webhookId],
    ["received_at", receivedAt(message)],
  ];
  if (plan.storesPayload) {
    row.push(["payload", body.kind === "binary" ? null : JSON.stringify(body.value)]);
    // The exact bytes as received, for every body: the JSON column normalises
    // whitespace, key order and duplicate keys, so a provider signature can
    // only be re-verified against `body`.
    row.push(["body", Buffer.from(message.body)]);
  }
  if (plan.includeHeaders) row.push(["headers", JSON.stringify(headersObject(message))]);
  if (plan.fields.length > 0 || plan.upsertKeyColumn !== undefined) {
    if (body.kind !== "json" || body.value === null || typeof body.value !== "object") {
      throw new ModuleDeliveryError("the body is not a JSON object; its fields cannot be mapped", {
        retryable: false,
      });
    }
    for (const field of plan.fields) row.push([field.column, fieldValue(body.value, field)]);
    if (plan.upsertKeyColumn !== undefined) {
      const key = plan.upsertKeyColumn;
      const value = convertValue(valueAt(body.value, key.path), "string", key.column);
      if (value === null) {
        throw new ModuleDeliveryError(
          `upsert key '${key.path.join(".")}' is missing from the payload`,
          {
            retryable: false,
          },
        );
      }
      row.push([key.column, value]);
    }
  }
  return row;
}
