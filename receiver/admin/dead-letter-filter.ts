/**
 * Parses which dead letters an admin request applies to, from the query
 * string (`message_id` repeated or comma-separated, `group`, `from`, `to`)
 * or from a JSON body (`message_ids`, `group`, `from`, `to`). Times are ISO
 * 8601 strings or milliseconds since the epoch.
 */
import type { DeadLetterFilter } from "../buffer/index.js";
import { isValidName } from "../config/index.js";
import { badRequest } from "./errors.js";

/** Keys a JSON dead-letter filter may have. */
export const FILTER_KEYS = ["message_ids", "group", "from", "to"] as const;

function parseTime(key: string, value: unknown): number {
  if (typeof value === "number" && Number.isFinite(value) && value >= 0) return value;
  if (typeof value === "string" && value !== "") {
    const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
    if (Number.isFinite(ms)) return ms;
  }
  throw badRequest(`'${key}' must be an ISO 8601 time or milliseconds since the epoch`);
}

function parseGroup(key: string, value: unknown): string {
  if (typeof value !== "string" || !isValidName(value)) {
    throw badRequest(`'${key}' must be a group name matching ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`);
  }
  return value;
}

function parseMessageIds(value: unknown): string[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw badRequest("'message_ids' must be a non-empty array of message id strings");
  }
  for (const id of value) {
    if (typeof id !== "string" || id === "") {
      throw badRequest("'message_ids' must be a non-empty array of message id strings");
    }
  }
  return value as string[];
}

function build(parts: {
  messageIds: string[] | undefined;
  group: string | undefined;
  from: number | undefined;
  to: number | undefined;
}): DeadLetterFilter {
  if (parts.from !== undefined && parts.to !== undefined && parts.from >= parts.to) {
    throw badRequest("'from' must be earlier than 'to'");
  }
  return {
    ...(parts.messageIds === undefined ? {} : { messageIds: parts.messageIds }),
    ...(parts.group === undefined ? {} : { group: parts.group }),
    ...(parts.from === undefined ? {} : { from: parts.from }),
    ...(parts.to === undefined ? {} : { to: parts.to }),
  };
}

/** A filter from a JSON body (unknown keys are the caller's to reject). */
export function filterFromBody(body: Readonly<Record<string, unknown>>): DeadLetterFilter {
  return build({
    messageIds:
      body["message_ids"] === undefined ? undefined : parseMessageIds(body["message_ids"]),
    group: body["group"] === undefined ? undefined : parseGroup("group", body["group"]),
    from: body["from"] === undefined ? undefined : parseTime("from", body["from"]),
    to: body["to"] === undefined ? undefined : parseTime("to", body["to"]),
  });
}

/** A filter from query parameters. */
export function filterFromQuery(query: URLSearchParams): DeadLetterFilter {
  const ids = query
    .getAll("message_id")
    .flatMap((value) => value.split(","))
    .map((id) => id.trim())
    .filter((id) => id !== "");
  const group = query.get("group");
  const from = query.get("from");
  const to = query.get("to");
  return build({
    messageIds: ids.length === 0 ? undefined : ids,
    group: group === null ? undefined : parseGroup("group", group),
    from: from === null ? undefined : parseTime("from", from),
    to: to === null ? undefined : parseTime("to", to),
  });
}

/** true when the filter selects everything. */
export function isEmptyFilter(filter: DeadLetterFilter): boolean {
  return (
    filter.messageIds === undefined &&
    filter.group === undefined &&
    filter.from === undefined &&
    filter.to === undefined
  );
}

/** Parses a non-negative integer query parameter within bounds. */
export function integerParam(
  query: URLSearchParams,
  key: string,
  fallback: number,
  max: number,
): number {
  const raw = query.get(key);
  if (raw === null) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) > max) {
    throw badRequest(`'${key}' must be an integer between 0 and ${max}`);
  }
  return Number(raw);
}
