/**
 * JSON shapes of the admin API (snake_case, times as ISO 8601). Tokens are
 * never part of any view.
 */
import { timestampMs } from "@bufbuild/protobuf/wkt";
import type { ChannelStats, DeadLetter, GroupStats } from "../buffer/index.js";
import type { AttachedConnection, TokenInfo } from "../channels/index.js";
import type { ChannelConfig } from "../config/index.js";
import type { WebhookCounters } from "./webhook-stats.js";

/** ms since epoch → ISO 8601, or null. */
export function isoTime(ms: number | undefined): string | null {
  return ms === undefined || !Number.isFinite(ms) ? null : new Date(ms).toISOString();
}

/** A channel's settings as configured (without its token). */
export function configView(channel: ChannelConfig) {
  return {
    ttl_seconds: channel.ttlSeconds,
    max_queue_size: channel.maxQueueSize,
    max_connections: channel.maxConnections,
    max_in_flight: channel.maxInFlight,
    ack_timeout_seconds: channel.ackTimeoutSeconds,
    max_delivery_attempts: channel.maxDeliveryAttempts,
    max_message_bytes: channel.maxMessageBytes,
    ordered: channel.ordered,
    webhook_ids: [...channel.webhookIds],
  };
}

/** The message counters of a channel, as the stats and channel views show them. */
function messageCounts(stats: ChannelStats) {
  return {
    messages_queued: stats.queued,
    messages_in_flight: stats.inFlight,
    messages_delivered: stats.delivered,
    messages_expired: stats.expired,
    messages_dead_lettered: stats.deadLettered,
    dead_letters_queued: stats.deadLetterQueued,
  };
}

/** The buffer's numbers of a channel plus the connections attached to this replica. */
export function statsView(stats: ChannelStats, connectedClients: number) {
  return {
    channel: stats.channel,
    ...messageCounts(stats),
    connected_clients: connectedClients,
    oldest_unacked_age_seconds: oldestAgeSeconds(stats),
    groups: stats.groups.map(groupView),
  };
}

/** One group's numbers: queued for it, in flight, and how far behind it is. */
export function groupView(group: GroupStats) {
  return {
    group: group.group,
    pending: group.pending,
    in_flight: group.inFlight,
    oldest_unacked_age_seconds: group.oldestUnackedAgeMs / 1000,
  };
}

/** The lag of the channel: its most-behind group's. */
function oldestAgeSeconds(stats: ChannelStats): number {
  return Math.max(0, ...stats.groups.map((group) => group.oldestUnackedAgeMs)) / 1000;
}

/** One connection attached to this replica. */
export function connectionView(connection: AttachedConnection) {
  const { info } = connection;
  const counters = connection.snapshot();
  return {
    connection_id: info.id,
    connector_id: info.connectorId,
    protocol: info.protocol,
    group: info.group,
    remote_address: info.remoteAddress,
    connected_at: isoTime(info.connectedAt),
    max_in_flight: info.maxInFlight,
    in_flight: counters.inFlight,
    delivered: counters.delivered,
    acked: counters.acked,
    nacked: counters.nacked,
    last_heartbeat: isoTime(counters.lastSeenAt),
  };
}

/** Rotation facts of a channel (never the tokens). */
export function tokenView(info: TokenInfo) {
  return {
    token_rotated_at: isoTime(info.rotatedAt),
    previous_tokens_valid_until: info.previousValidUntil.map((ms) => isoTime(ms)),
  };
}

/** A channel in lists (`/channels`, `/overview`). */
export function channelSummaryView(
  channel: ChannelConfig,
  stats: ChannelStats,
  connectedClients: number,
) {
  return {
    name: channel.name,
    webhook_id: channel.webhookIds[0] ?? null,
    webhook_ids: [...channel.webhookIds],
    max_connections: channel.maxConnections,
    ttl_seconds: channel.ttlSeconds,
    connected_clients: connectedClients,
    ...messageCounts(stats),
    oldest_unacked_age_seconds: oldestAgeSeconds(stats),
    groups: stats.groups.map(groupView),
  };
}

/** One webhook's ingest counters. */
export function webhookCountersView(webhookId: string, counters: WebhookCounters) {
  const rejectedTotal = Object.values(counters.rejected).reduce((sum, n) => sum + n, 0);
  return {
    webhook_id: webhookId,
    accepted: counters.accepted,
    rejected: rejectedTotal,
    rejected_by_status: counters.rejected,
    aborted: counters.aborted,
    last_accepted_at: isoTime(counters.lastAcceptedAt),
    last_rejected_at: isoTime(counters.lastRejectedAt),
  };
}

/** One dead letter with its message metadata and the body as base64. */
export function deadLetterView(deadLetter: DeadLetter) {
  const { message } = deadLetter;
  return {
    message_id: message.messageId,
    group: deadLetter.group,
    reason: deadLetter.reason,
    attempts: deadLetter.attempts,
    first_failed_at: isoTime(deadLetter.firstFailedAt),
    last_failed_at: isoTime(deadLetter.deadLetteredAt),
    dead_lettered_at: isoTime(deadLetter.deadLetteredAt),
    webhook_id: message.webhookId,
    sequence: message.sequence.toString(),
    received_at: message.receivedAt === undefined ? null : isoTime(timestampMs(message.receivedAt)),
    expires_at: message.expiresAt === undefined ? null : isoTime(timestampMs(message.expiresAt)),
    method: message.method,
    path: message.path,
    query: message.query,
    headers: message.headers.map((header) => [header.name, header.value]),
    content_type: message.contentType,
    source_ip: message.sourceIp,
    traceparent: message.traceparent,
    body_size: message.body.length,
    body_base64: Buffer.from(message.body).toString("base64"),
  };
}
