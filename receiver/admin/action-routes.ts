/** Admin routes that change things: token rotation and closing a connection. */
import { channelOf } from "./channel-routes.js";
import type { AdminContext, AdminRequest, AdminResponse } from "./context.js";
import { badRequest, notFound } from "./errors.js";
import { readJsonObject } from "./json-body.js";
import { isoTime } from "./views.js";

/** Grace period when the request names none: one hour. */
export const DEFAULT_GRACE_PERIOD_SECONDS = 3_600;
/** Longest grace period accepted: 30 days. */
export const MAX_GRACE_PERIOD_SECONDS = 2_592_000;

function gracePeriodOf(body: Readonly<Record<string, unknown>>): number {
  const value = body["grace_period_seconds"];
  if (value === undefined) return DEFAULT_GRACE_PERIOD_SECONDS;
  if (
    typeof value !== "number" ||
    !Number.isInteger(value) ||
    value < 0 ||
    value > MAX_GRACE_PERIOD_SECONDS
  ) {
    throw badRequest(
      `'grace_period_seconds' must be an integer between 0 and ${MAX_GRACE_PERIOD_SECONDS}`,
    );
  }
  return value;
}

/**
 * `POST /channels/{ch}/rotate-token` `{grace_period_seconds}`: issues a new
 * token, persisted for every replica; the old one stays valid for the grace.
 */
export async function rotateToken(
  context: AdminContext,
  request: AdminRequest,
): Promise<AdminResponse> {
  const channel = channelOf(request);
  const body = await readJsonObject(request.req, ["grace_period_seconds"]);
  const grace = gracePeriodOf(body);
  const rotation = await context.tokens.rotate(channel.name, grace);
  const expires = isoTime(rotation.previousValidUntil);
  return {
    status: 200,
    body: {
      channel: channel.name,
      new_token: rotation.token,
      rotated_at: isoTime(rotation.rotatedAt),
      grace_period_seconds: grace,
      old_token_expires_at: expires ?? isoTime(rotation.rotatedAt),
      message:
        grace > 0
          ? `token rotated; the previous token stays valid for a grace period of ${grace} seconds (until ${expires})`
          : "token rotated; no grace period: the previous token is refused from now on",
    },
    action: {
      type: "token_rotated",
      channel: channel.name,
      previousValidUntil: rotation.previousValidUntil,
    },
  };
}

/**
 * `DELETE /channels/{ch}/connections/{id}`: closes a connection attached to
 * this replica (the transport really ends; its leases return to the group).
 */
export async function closeConnection(
  context: AdminContext,
  request: AdminRequest,
): Promise<AdminResponse> {
  const channel = channelOf(request);
  const connectionId = request.params[0] ?? "";
  const connection = context.registry
    .list(channel.name)
    .find((candidate) => candidate.info.id === connectionId);
  if (connection === undefined) {
    throw notFound(
      `connection '${connectionId}' is not attached to channel '${channel.name}' on this receiver`,
    );
  }
  connection.evict("disconnected by admin");
  return {
    status: 200,
    body: {
      status: "disconnected",
      channel: channel.name,
      connection_id: connectionId,
      connector_id: connection.info.connectorId,
    },
    action: {
      type: "connection_closed",
      channel: channel.name,
      connectionId,
      connectorId: connection.info.connectorId,
    },
  };
}
