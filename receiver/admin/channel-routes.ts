/**
 * Read-only admin routes: health, overview, channel list and detail, the
 * buffer's stats and the per-webhook ingest counters.
 */
import type { ChannelStats } from "../buffer/index.js";
import type { ChannelConfig } from "../config/index.js";
import type { AdminContext, AdminRequest, AdminResponse } from "./context.js";
import {
  channelSummaryView,
  configView,
  connectionView,
  isoTime,
  statsView,
  tokenView,
  webhookCountersView,
} from "./views.js";

/** The channel a channel route was matched with (the router guarantees one). */
export function channelOf(request: AdminRequest): ChannelConfig {
  if (request.channel === undefined) throw new Error("route needs a channel");
  return request.channel;
}

async function allStats(context: AdminContext): Promise<[ChannelConfig, ChannelStats][]> {
  const channels = [...context.config.channels.values()];
  const stats = await Promise.all(channels.map((channel) => context.buffer.stats(channel.name)));
  return channels.map((channel, i) => [channel, stats[i]!]);
}

function connectionCount(context: AdminContext): number {
  return context.registry.names().reduce((n, name) => n + context.registry.list(name).length, 0);
}

/** `GET /health` (no auth): 200 when the buffer answers, else 503. */
export async function getHealth(context: AdminContext): Promise<AdminResponse> {
  let reachable = true;
  try {
    await context.buffer.ping();
  } catch {
    reachable = false;
  }
  return {
    status: reachable ? 200 : 503,
    body: {
      status: reachable ? "healthy" : "unhealthy",
      buffer: reachable,
      buffer_kind: context.buffer.kind,
      channels_count: context.config.channels.size,
      connections_count: connectionCount(context),
      timestamp: isoTime(context.now()),
    },
  };
}

/** `GET /overview`: totals over every channel plus one line per channel. */
export async function getOverview(context: AdminContext): Promise<AdminResponse> {
  const rows = await allStats(context);
  const sum = (pick: (stats: ChannelStats) => number) =>
    rows.reduce((n, [, stats]) => n + pick(stats), 0);
  return {
    status: 200,
    body: {
      buffer_kind: context.buffer.kind,
      started_at: isoTime(context.startedAt),
      uptime_seconds: Math.floor((context.now() - context.startedAt) / 1000),
      total_channels: rows.length,
      total_connections: connectionCount(context),
      messages_queued: sum((s) => s.queued),
      messages_in_flight: sum((s) => s.inFlight),
      messages_delivered: sum((s) => s.delivered),
      messages_expired: sum((s) => s.expired),
      messages_dead_lettered: sum((s) => s.deadLettered),
      dead_letters_queued: sum((s) => s.deadLetterQueued),
      channels: rows.map(([channel, stats]) =>
        channelSummaryView(channel, stats, context.registry.list(channel.name).length),
      ),
    },
  };
}

/** `GET /channels`: one line per channel. */
export async function listChannels(context: AdminContext): Promise<AdminResponse> {
  const rows = await allStats(context);
  return {
    status: 200,
    body: rows.map(([channel, stats]) =>
      channelSummaryView(channel, stats, context.registry.list(channel.name).length),
    ),
  };
}

/** The channel the path names, its buffer stats, and its connections to this replica. */
async function channelNow(context: AdminContext, request: AdminRequest) {
  const channel = channelOf(request);
  const stats = await context.buffer.stats(channel.name);
  return { channel, stats, connections: context.registry.list(channel.name) };
}

/** `GET /channels/{ch}`: config (no token), stats, token rotation facts, connections. */
export async function getChannel(
  context: AdminContext,
  request: AdminRequest,
): Promise<AdminResponse> {
  const { channel, stats, connections } = await channelNow(context, request);
  return {
    status: 200,
    body: {
      name: channel.name,
      webhook_id: channel.webhookIds[0] ?? null,
      webhook_ids: [...channel.webhookIds],
      config: configView(channel),
      ...tokenView(context.tokens.info(channel.name)),
      stats: statsView(stats, connections.length),
      connected_clients: connections.map(connectionView),
    },
  };
}

/** `GET /channels/{ch}/stats`: the buffer's numbers. */
export async function getChannelStats(
  context: AdminContext,
  request: AdminRequest,
): Promise<AdminResponse> {
  const { stats, connections } = await channelNow(context, request);
  return { status: 200, body: statsView(stats, connections.length) };
}

/** `GET /channels/{ch}/webhook-stats`: accepted/rejected per webhook of the channel since start. */
export async function getWebhookStats(
  context: AdminContext,
  request: AdminRequest,
): Promise<AdminResponse> {
  const channel = channelOf(request);
  return {
    status: 200,
    body: {
      channel: channel.name,
      since: isoTime(context.webhookStats.since),
      webhooks: channel.webhookIds.map((id) =>
        webhookCountersView(id, context.webhookStats.get(id)),
      ),
    },
  };
}
