/**
 * The receiver-side session every transport wraps (gRPC/Connect bidi,
 * Subscribe + Ack, WebSocket, SSE, long-poll): one attached connection of
 * one channel and group, with a credit of `maxInFlight` leased messages,
 * ack/nack by message id, heartbeats and liveness. Transports only frame
 * what this produces; none of them re-implements delivery logic.
 */
import { randomUUID } from "node:crypto";
import type { Delivery } from "../buffer/index.js";
import type { AttachedConnection, ConnectionInfo } from "../channels/index.js";
import { groupName } from "../channels/index.js";
import { WebhookConnectError } from "../errors.js";
import { CreditWindow } from "./credit-window.js";
import { FrameQueue } from "./frame-queue.js";
import { pumpLeases } from "./lease-pump.js";
import { type ServerClose, type ServerCloseKind, serverClose } from "./server-close.js";
import type { SessionFrame } from "./session-events.js";
import type { SessionOptions } from "./session-options.js";
import { type NackRequest, type SettleResult, settleMessage } from "./settle-message.js";

export type { SessionEvent, SessionFrame } from "./session-events.js";
export type { SessionOptions } from "./session-options.js";
export type { NackRequest, SettleResult } from "./settle-message.js";

/** Opens a session: checks the channel and its connection limit, creates the group. */
export async function openSession(options: SessionOptions): Promise<Session> {
  const channel = options.registry.get(options.channel);
  if (channel === undefined) {
    throw new WebhookConnectError(
      "WC_ERR_STREAM_UNKNOWN_CHANNEL",
      `unknown channel '${options.channel}'`,
    );
  }
  const session = new Session(options, channel.settings.maxInFlight);
  if (!options.registry.attach(session)) {
    throw new WebhookConnectError(
      "WC_ERR_STREAM_TOO_MANY_CONNECTIONS",
      `channel '${options.channel}' already has ${channel.settings.maxConnections} connections`,
      { retryAfterSeconds: 5 },
    );
  }
  try {
    await options.buffer.ensureGroup(options.channel, session.info.group);
  } catch (error) {
    options.registry.detach(options.channel, session.info.id);
    throw error;
  }
  options.onEvent?.({ type: "opened", info: session.info });
  return session;
}

/**
 * One attached connection. Create with `openSession`. Its parts live
 * beside it: the credit (credit-window.ts), the stream pump that keeps the
 * credit filled (lease-pump.ts) and settlement by message id
 * (settle-message.ts); this class ties them to the connection's lifecycle.
 */
export class Session implements AttachedConnection {
  /** Static facts about the connection. */
  readonly info: ConnectionInfo;
  /** Resolves with the reason once the session closed. */
  readonly closed: Promise<string>;
  /** @internal the credit, shared with the stream pump */
  readonly window: CreditWindow;

  private readonly options: SessionOptions;
  /** @internal the session's clock */
  readonly now: () => number;
  private readonly abort = new AbortController();
  /** Controllers of the pulls waiting now, aborted when the session closes. */
  private readonly pulls = new Set<AbortController>();
  private resolveClosed!: (reason: string) => void;
  private closeReason: string | undefined;
  private closedByServer: ServerClose | undefined;
  private lastSeenAt: number;
  private delivered = 0;
  private acked = 0;
  private nacked = 0;

  /** @internal use openSession */
  constructor(options: SessionOptions, channelMaxInFlight: number) {
    this.options = options;
    this.now = options.now ?? Date.now;
    const asked = options.maxInFlight;
    this.info = {
      id: options.connectionId ?? randomUUID(),
      channel: options.channel,
      group: groupName(options.group),
      connectorId: options.connectorId,
      protocol: options.protocol,
      maxInFlight: asked > 0 ? Math.min(asked, channelMaxInFlight) : channelMaxInFlight,
      connectedAt: this.now(),
      remoteAddress: options.remoteAddress,
    };
    this.window = new CreditWindow(this.info.maxInFlight);
    this.lastSeenAt = this.info.connectedAt;
    this.closed = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
  }

  /** Aborts when the session closes. */
  get signal(): AbortSignal {
    return this.abort.signal;
  }

  /** Whether the session is closed. */
  get isClosed(): boolean {
    return this.closeReason !== undefined;
  }

  /** Counters for the admin API. */
  snapshot() {
    return {
      inFlight: this.window.inFlight.size,
      delivered: this.delivered,
      acked: this.acked,
      nacked: this.nacked,
      lastSeenAt: this.lastSeenAt,
    };
  }

  /** Records client activity (any frame, heartbeat, poll or ack). */
  touch(): void {
    this.lastSeenAt = this.now();
  }

  /**
   * Leases up to `max` messages (bounded by the free credit), waiting up to
   * `waitMs` for the first. Used directly by long-poll; streams use `frames()`.
   */
  async pull(max: number, waitMs: number, gone: AbortController): Promise<Delivery[]> {
    this.touch();
    const credit = Math.min(max, this.window.free());
    if (credit <= 0 || this.isClosed) return [];
    // The caller's own controller ends the wait, aborted by the caller (its
    // request went away) or by close(): no signal combining both and no
    // listener on the session's signal, per poll of a long-lived poll
    // connection (each would outlive its poll by seconds, promoted garbage).
    this.pulls.add(gone);
    try {
      const deliveries = await this.fetch(credit, waitMs, gone.signal);
      return deliveries.length === 0 ? [] : this.accept(deliveries);
    } finally {
      this.pulls.delete(gone);
    }
  }

  /** @internal one fetch of the stream pump, its deliveries recorded as in flight */
  async fetchLeases(credit: number, waitMs: number): Promise<Delivery[]> {
    const deliveries = await this.fetch(credit, waitMs, this.abort.signal);
    return deliveries.length === 0 ? deliveries : this.accept(deliveries);
  }

  /** @internal the buffer failed under the stream pump */
  pumpFailed(error: Error): void {
    this.closeByServer("buffer_error", `buffer error: ${error.message}`);
  }

  /** One buffer fetch for this connection (no async frame of its own: the pump waits here). */
  private fetch(credit: number, waitMs: number, signal: AbortSignal): Promise<Delivery[]> {
    return this.options.buffer.fetch({
      channel: this.info.channel,
      group: this.info.group,
      consumerId: this.info.id,
      max: credit,
      waitMs,
      signal,
    });
  }

  /** Records fetched deliveries as in flight; hands them back if the session closed meanwhile. */
  private async accept(deliveries: Delivery[]): Promise<Delivery[]> {
    for (const delivery of deliveries) {
      this.window.add(delivery.messageId, delivery.leaseExpiresAt);
      this.delivered += 1;
      this.options.onEvent?.({ type: "delivered", info: this.info, delivery });
    }
    if (this.isClosed && deliveries.length > 0) {
      // Closed while fetching: hand the leases straight back.
      await this.options.buffer.release(this.info.channel, this.info.group, this.info.id);
      return [];
    }
    return deliveries;
  }

  /**
   * The frames to send: messages as credit allows, and a heartbeat every
   * interval even under continuous traffic. Ends when the session closes.
   */
  frames(): AsyncIterable<SessionFrame> {
    const queue = new FrameQueue<SessionFrame>();
    const heartbeat = setInterval(Session.heartbeat, this.options.heartbeatIntervalMs, this, queue);
    heartbeat.unref?.();
    const { buffer, heartbeatIntervalMs } = this.options;
    const pumping = {
      fetchWaitMs: buffer.features.waitsWithoutDeadline
        ? Number.POSITIVE_INFINITY
        : heartbeatIntervalMs,
      refillWaitMs: this.options.refillWaitMs ?? 1,
    };
    void pumpLeases(this, queue, pumping, heartbeat);
    return queue;
  }

  /** One heartbeat tick of `frames()` (a shared function: no closure per session). */
  private static heartbeat(this: void, session: Session, queue: FrameQueue<SessionFrame>): void {
    const livenessMs = session.options.livenessTimeoutMs;
    if (livenessMs !== undefined && session.now() - session.lastSeenAt > livenessMs) {
      session.closeByServer("heartbeat_timeout", "heartbeat timeout: client silent");
      return;
    }
    queue.push({ kind: "heartbeat", at: session.now() });
  }

  /** Acknowledges messages by id; acks for leases of earlier connections are honoured too. */
  async ack(messageIds: readonly string[]): Promise<SettleResult[]> {
    this.touch();
    // Settled together so a batch of acks shares one buffer write (one
    // group commit on SQLite) instead of one round trip each.
    return Promise.all(messageIds.map((messageId) => this.settle(messageId, "ack")));
  }

  /** Rejects one message: retry later with backoff, or dead-letter. */
  async nack(messageId: string, options: NackRequest): Promise<SettleResult> {
    this.touch();
    return this.settle(messageId, "nack", options);
  }

  private async settle(
    messageId: string,
    action: "ack" | "nack",
    nack?: NackRequest,
  ): Promise<SettleResult> {
    const { channel, group } = this.info;
    const settling = settleMessage(this.options.buffer, channel, group, messageId, nack);
    // The client is done with the message whatever the buffer makes of the
    // settlement, so its credit is free now, not once the settlement is on
    // disk (a commit later). Even when the buffer cannot apply it (e.g.
    // broker unreachable) the lease runs out and the buffer redelivers it;
    // keeping the credit would stall a connection that was at full credit
    // during a broker outage for good.
    this.window.remove(messageId);
    const result = await settling;
    if (result.outcome !== "error") {
      if (action === "ack") this.acked += 1;
      else this.nacked += 1;
    }
    this.options.onEvent?.({
      type: "settled",
      info: this.info,
      messageId,
      action,
      outcome: result.outcome,
    });
    return result;
  }

  /**
   * Closes the session: the transport ends (with the closing Notice of
   * `kind`), leases go back to the group at once.
   */
  evict(reason: string, kind: "evicted" | "shutdown" = "evicted"): void {
    this.closeByServer(kind, reason);
  }

  /**
   * Why the receiver closed the session; undefined while it is open or
   * when the client ended it. Set before `frames()` ends.
   */
  get serverClose(): ServerClose | undefined {
    return this.closedByServer;
  }

  private closeByServer(kind: ServerCloseKind, reason: string): void {
    if (this.closeReason !== undefined) return;
    this.closedByServer = serverClose(kind, reason);
    this.close(reason);
  }

  /** Closes the session (idempotent). */
  close(reason: string): void {
    if (this.closeReason !== undefined) return;
    this.closeReason = reason;
    this.abort.abort(new Error(reason));
    for (const pull of this.pulls) pull.abort();
    this.window.wake();
    this.options.registry.detach(this.info.channel, this.info.id);
    const { buffer } = this.options;
    buffer
      .release(this.info.channel, this.info.group, this.info.id)
      .catch(() => undefined)
      .finally(() => {
        this.options.onEvent?.({ type: "closed", info: this.info, reason });
        this.resolveClosed(reason);
      });
  }
}
