/**
 * Talking to the other receiver processes on the same broker, so acks work
 * anywhere and stats count every process's leases. A lease is an unacked
 * delivery on the channel of the process that handed it out; only that
 * process can settle it, so an ack for a lease held elsewhere is broadcast
 * to the peers (fanout exchange `wc:peers`, one exclusive queue per
 * process) and the holder answers with the outcome. Each process also
 * holds a consumer on `wc:presence`, whose consumer count says how many
 * answers to wait for.
 */
import { randomUUID } from "node:crypto";
import type { Channel, ConsumeMessage } from "amqplib";
import type { NackOptions, SettleOutcome } from "../buffer.js";
import type { TrackedConnection } from "./connection.js";

/** The exchange requests are broadcast on. */
export const PEERS_EXCHANGE = "wc:peers";
/** The queue whose consumer count is the number of live processes. */
export const PRESENCE_QUEUE = "wc:presence";

/** A settle request for a lease held by another process. */
export interface SettleRequest {
  readonly channel: string;
  readonly group: string;
  readonly messageId: string;
  /** Absent for an ack. */
  readonly nack?: NackOptions;
}

/** One process's numbers of one group that only it knows. */
export interface LocalGroupNumbers {
  readonly group: string;
  /** Leases it holds. */
  readonly leased: number;
  /** Deliveries it holds unleased (buffered or waiting for an ordered retry). */
  readonly held: number;
  /** receivedAt of the oldest message it holds, or 0. */
  readonly oldestReceivedAt: number;
}

/** What peers answer. */
export interface PeerHandlers {
  /** Settles a lease this process holds; "not_found" when it holds none. */
  settle(request: SettleRequest): Promise<SettleOutcome>;
  /** This process's numbers of a channel. */
  numbers(channel: string): LocalGroupNumbers[];
}

/** The peer link of one buffer. */
export interface Peers {
  /** Asks the other processes to settle a lease; "not_found" when none holds it. */
  settle(request: SettleRequest): Promise<SettleOutcome>;
  /** The numbers of every other process for a channel. */
  numbers(channel: string): Promise<LocalGroupNumbers[][]>;
  /** Makes sure this process is reachable on the current connection. */
  ensure(): Promise<void>;
}

interface Pending {
  readonly expected: number;
  readonly answers: unknown[];
  readonly done: (answers: unknown[]) => boolean;
  readonly resolve: (answers: unknown[]) => void;
}

/** Creates the peer link; it connects lazily and again after a reconnect. */
export function createPeers(
  conn: TrackedConnection,
  handlers: PeerHandlers,
  timeoutMs: number,
): Peers {
  const id = randomUUID();
  type Link = { channel: Channel; queue: string; generation: number };
  let link: Promise<Link> | undefined;
  const pending = new Map<string, Pending>();

  const answer = async (channel: Channel, message: ConsumeMessage) => {
    const { replyTo, correlationId, type } = message.properties;
    const body = JSON.parse(message.content.toString("utf8")) as unknown;
    let reply: unknown;
    if (type === "settle") reply = await handlers.settle(body as SettleRequest);
    else if (type === "numbers") reply = handlers.numbers((body as { channel: string }).channel);
    else return;
    channel.sendToQueue(replyTo, Buffer.from(JSON.stringify(reply)), {
      correlationId,
      type: "reply",
    });
  };

  const onMessage = (channel: Channel, message: ConsumeMessage | null) => {
    if (message === null) return;
    const { type, correlationId, appId } = message.properties;
    if (type === "reply") {
      const waiting = pending.get(String(correlationId));
      if (waiting === undefined) return;
      waiting.answers.push(JSON.parse(message.content.toString("utf8")));
      if (waiting.answers.length >= waiting.expected || waiting.done(waiting.answers)) {
        waiting.resolve(waiting.answers);
      }
      return;
    }
    if (appId === id) return;
    answer(channel, message).catch(() => undefined);
  };

  const ensureLink = (): Promise<Link> => {
    if (link !== undefined) {
      const current = link;
      return current.then((value): Promise<Link> | Link => {
        if (value.generation === conn.generation()) return value;
        if (link === current) link = undefined;
        return ensureLink();
      });
    }
    const opening = (async () => {
      const generation = conn.generation();
      const channel = await conn.model().createChannel();
      channel.on("error", () => undefined);
      channel.on("close", () => {
        if (link === opening) link = undefined;
      });
      await channel.assertExchange(PEERS_EXCHANGE, "fanout", { durable: true });
      await channel.assertQueue(PRESENCE_QUEUE, { durable: true });
      const { queue } = await channel.assertQueue("", { exclusive: true, autoDelete: true });
      await channel.bindQueue(queue, PEERS_EXCHANGE, "");
      await channel.consume(queue, (message) => onMessage(channel, message), { noAck: true });
      await channel.consume(PRESENCE_QUEUE, () => undefined, { noAck: true });
      return { channel, queue, generation };
    })();
    link = opening;
    opening.catch(() => {
      if (link === opening) link = undefined;
    });
    return opening;
  };

  const broadcast = async (
    type: string,
    body: unknown,
    done: (answers: unknown[]) => boolean,
  ): Promise<unknown[]> => {
    const { channel, queue } = await ensureLink();
    const others = (await channel.checkQueue(PRESENCE_QUEUE)).consumerCount - 1;
    if (others <= 0) return [];
    const correlationId = randomUUID();
    return new Promise<unknown[]>((resolve) => {
      const timer = setTimeout(() => finish(entry.answers), timeoutMs);
      const finish = (answers: unknown[]) => {
        clearTimeout(timer);
        pending.delete(correlationId);
        resolve(answers);
      };
      const entry: Pending = { expected: others, answers: [], done, resolve: finish };
      pending.set(correlationId, entry);
      channel.publish(PEERS_EXCHANGE, "", Buffer.from(JSON.stringify(body)), {
        type,
        correlationId,
        replyTo: queue,
        appId: id,
      });
    });
  };

  return {
    async ensure() {
      await ensureLink();
    },
    async settle(request) {
      const answers = await broadcast("settle", request, (all) =>
        all.some((outcome) => outcome !== "not_found"),
      );
      const found = answers.find((outcome) => outcome !== "not_found");
      return (found as SettleOutcome | undefined) ?? "not_found";
    },
    async numbers(channel) {
      return (await broadcast("numbers", { channel }, () => false)) as LocalGroupNumbers[][];
    },
  };
}
