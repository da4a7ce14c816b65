/**
 * The receiver-side session every transport wraps (gRPC/Connect bidi,
 * Subscribe + Ack, WebSocket, SSE, long-poll): one attached connection of
 * one channel and group, with a credit of `maxInFlight` leased messages,
 * ack/nack by message id, heartbeats and liveness. Transports only frame
 * what this produces; none of them re-implements delivery logic.
 */
import { randomUUID } from "node:crypto";
import type { Buffer, Delivery, SettleOutcome } from "../buffer/buffer.js";
import type { AttachedConnection, ChannelRegistry, ConnectionInfo } from "../channels/index.js";
import { groupName } from "../channels/index.js";
import { WebhookConnectError } from "../errors.js";
import { FrameQueue } from "./frame-queue.js";
import { type ServerClose, type ServerCloseKind, serverClose } from "./server-close.js";
import { type NackRequest, type SettleResult, settleMessage } from "./settle-message.js";

export type { NackRequest, SettleResult } from "./settle-message.js";

/** What a transport sends to its client. */
export type SessionFrame =
  | { readonly kind: "message"; readonly delivery: Delivery }
  | { readonly kind: "heartbeat"; readonly at: number };

/** Fetches the stream pump keeps out at once. */
const MAX_FETCHES = 4;

/** Typed events of a session, for logs and metrics. */
export type SessionEvent =
  | { readonly type: "opened"; readonly info: ConnectionInfo }
  | { readonly type: "delivered"; readonly info: ConnectionInfo; readonly delivery: Delivery }
  | {
      readonly type: "settled";
      readonly info: ConnectionInfo;
      readonly messageId: string;
      readonly action: "ack" | "nack";
      readonly outcome: SettleOutcome | "error";
    }
  | { readonly type: "closed"; readonly info: ConnectionInfo; readonly reason: string };

/** Options of a session. */
export interface SessionOptions {
  /** The buffer backend. */
  readonly buffer: Buffer;
  /** The channel registry (token already checked by the transport). */
  readonly registry: ChannelRegistry;
  /** Channel to consume. */
  readonly channel: string;
  /** Requested group (empty → default group). */
  readonly group: string;
  /** Connector's name. */
  readonly connectorId: string;
  /** Transport name, for the admin API and metrics. */
  readonly protocol: string;
  /** Remote address of the client. */
  readonly remoteAddress: string;
  /** Requested in-flight limit; 0 means the channel's maximum. */
  readonly maxInFlight: number;
  /** Server heartbeat interval. */
  readonly heartbeatIntervalMs: number;
  /**
   * Drop the connection when the client sent nothing for this long
   * (3 × heartbeat for transports where the client can talk). Undefined:
   * liveness is left to the transport.
   */
  readonly livenessTimeoutMs?: number;
  /** Fixed connection id (long-poll reuses one across requests). @default a random UUID */
  readonly connectionId?: string;
  /** Event sink. */
  readonly onEvent?: (event: SessionEvent) => void;
  /** Clock. @default Date.now */
  readonly now?: () => number;
  /**
   * Longest wait for an eighth of the in-flight window to come back before
   * the stream pump fetches again while the rest is still out. @default 1
   */
  readonly refillWaitMs?: number;
}

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

/** One attached connection. Create with `openSession`. */
export class Session implements AttachedConnection {
  /** Static facts about the connection. */
  readonly info: ConnectionInfo;
  /** Resolves with the reason once the session closed. */
  readonly closed: Promise<string>;

  private readonly options: SessionOptions;
  private readonly now: () => number;
  private readonly inFlight = new Map<string, number>();
  private readonly abort = new AbortController();
  private resolveClosed!: (reason: string) => void;
  private creditWaiter: (() => void) | undefined;
  /** Credit asked for by the pump's fetches still out. */
  private reserved = 0;
  /** The pump's fetches still out. */
  private fetching = 0;
  /** Why the pump stopped, when the buffer failed. */
  private failure: Error | undefined;
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
      inFlight: this.inFlight.size,
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
   * `waitMs` for the first. Used directly by long-poll and by `frames()`.
   */
  async pull(max: number, waitMs: number, signal?: AbortSignal): Promise<Delivery[]> {
    this.touch();
    return this.lease(max, waitMs, signal);
  }

  /** Leases like `pull` without counting as client activity (the server's own pump). */
  private async lease(max: number, waitMs: number, signal?: AbortSignal): Promise<Delivery[]> {
    const credit = Math.min(max, this.freeCredit());
    if (credit <= 0 || this.isClosed) return [];
    const deliveries = await this.fetch(credit, waitMs, signal);
    return deliveries.length === 0 ? [] : this.accept(deliveries);
  }

  /** One buffer fetch for this connection (no async frame of its own: the pump waits here). */
  private fetch(credit: number, waitMs: number, signal?: AbortSignal): Promise<Delivery[]> {
    return this.options.buffer.fetch({
      channel: this.info.channel,
      group: this.info.group,
      consumerId: this.info.id,
      max: credit,
      waitMs,
      // A combined signal only when the caller brought one: the stream pump
      // fetches once per heartbeat interval per connection, and each
      // AbortSignal.any stays registered on its sources until they abort.
      signal:
        signal === undefined ? this.abort.signal : AbortSignal.any([this.abort.signal, signal]),
    });
  }

  /** Records fetched deliveries as in flight; hands them back if the session closed meanwhile. */
  private async accept(deliveries: Delivery[]): Promise<Delivery[]> {
    for (const delivery of deliveries) {
      this.inFlight.set(delivery.messageId, delivery.leaseExpiresAt);
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
    void this.pump(queue, heartbeat);
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

  /**
   * Feeds `frames()` with leased messages until the session closes. Up to
   * MAX_FETCHES fetches run at once: a fetch waits for a buffer round (a
   * commit behind busy ingest), and a connection whose next batch was only
   * asked for once the last one came back spent most of each round trip
   * without work (about 2,000 msg/s delivered beside 5,000/s of ingest).
   * An idle connection spends its life with one fetch waiting on the
   * buffer.
   */
  private async pump(queue: FrameQueue<SessionFrame>, heartbeat: NodeJS.Timeout): Promise<void> {
    const interval = this.options.heartbeatIntervalMs;
    const batch = Math.ceil(this.info.maxInFlight / 8);
    try {
      while (!this.isClosed && this.failure === undefined) {
        if (this.available() <= 0 || this.fetching >= MAX_FETCHES) {
          await this.waitFor(() => this.available() > 0 && this.fetching < MAX_FETCHES);
          continue;
        }
        // Let every ack settled by the same commit free its credit first, so
        // one fetch leases a batch rather than one message per ack. A tick
        // runs once the pending promise callbacks are done (those acks'
        // included), and the fetch still joins the next group commit.
        await new Promise<void>((resolve) => process.nextTick(resolve));
        // Under load acks come back a few at a time while a fetch costs a
        // round to the buffer: fetching for every freed slot leased one or
        // two messages per round trip. Until an eighth of the window is
        // free, wait a moment for more of it to come back.
        if (this.inFlight.size + this.reserved > 0 && this.available() < batch) {
          await this.waitFor(() => this.available() >= batch, this.options.refillWaitMs ?? 1);
        }
        if (this.isClosed) break;
        const credit = this.available();
        if (credit <= 0 || this.fetching >= MAX_FETCHES) continue;
        this.startFetch(queue, credit, interval);
      }
    } finally {
      clearInterval(heartbeat);
      // Frames of fetches still out are dropped with the queue; their leases
      // go back with the session's release.
      if (!this.isClosed && this.failure !== undefined) {
        this.closeByServer("buffer_error", `buffer error: ${this.failure.message}`);
      }
      queue.end();
    }
  }

  /** One fetch of the pump, with `credit` reserved until it is back. */
  private startFetch(queue: FrameQueue<SessionFrame>, credit: number, waitMs: number): void {
    this.reserved += credit;
    this.fetching += 1;
    // Wait at most one heartbeat interval per fetch so credit and closing
    // are re-checked regularly.
    this.fetch(credit, waitMs)
      .then((deliveries) => (deliveries.length === 0 ? deliveries : this.accept(deliveries)))
      .then(
        (deliveries) => {
          for (const delivery of deliveries) queue.push({ kind: "message", delivery });
        },
        (error: unknown) => {
          this.failure ??= error instanceof Error ? error : new Error(String(error));
        },
      )
      .finally(() => {
        this.reserved -= credit;
        this.fetching -= 1;
        this.wakeCredit();
      });
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
    this.inFlight.delete(messageId);
    this.wakeCredit();
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
    this.wakeCredit();
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

  /** Credit not yet asked for by a fetch of the pump. */
  private available(): number {
    return this.freeCredit() - this.reserved;
  }

  /**
   * Credit left. A delivery counts against the credit until the client
   * settles it, even after its lease expired and the buffer handed it to
   * another connection: a connection that stops acknowledging stops
   * receiving, and its messages flow to healthy connections.
   */
  private freeCredit(): number {
    return this.info.maxInFlight - this.inFlight.size;
  }

  private wakeCredit(): void {
    const waiter = this.creditWaiter;
    this.creditWaiter = undefined;
    waiter?.();
  }

  /** Resolves when credit changes (an ack, nack or release) or after `ms`. */
  private creditChange(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.creditWaiter = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  /**
   * Waits until `ready()` holds (credit freed, a fetch back, the session
   * closed), at most `maxWaitMs`. Without a limit it still looks again by
   * the next lease expiry (leases that run out free credit too) or once a
   * heartbeat interval.
   */
  private async waitFor(ready: () => boolean, maxWaitMs?: number): Promise<void> {
    const until = maxWaitMs === undefined ? undefined : performance.now() + maxWaitMs;
    while (!this.isClosed && this.failure === undefined && !ready()) {
      let wait: number;
      if (until !== undefined) {
        wait = until - performance.now();
        if (wait <= 0) return;
      } else {
        let nextExpiry = Number.POSITIVE_INFINITY;
        for (const expiresAt of this.inFlight.values()) {
          nextExpiry = Math.min(nextExpiry, expiresAt);
        }
        wait = Math.max(1, Math.min(nextExpiry - this.now(), this.options.heartbeatIntervalMs));
      }
      await this.creditChange(wait);
    }
  }
}
