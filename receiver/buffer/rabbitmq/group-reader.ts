/**
 * How one process takes messages from a group queue. Ready messages are
 * taken with `basic.get`, so the process never holds messages no connector
 * asked for (other receivers sharing the queue can take them). A fetch
 * that found nothing waits on a consumer with prefetch 1, started only
 * while fetches wait: the broker pushes the next message to it, and that
 * delivery becomes the waiting fetch's first lease.
 *
 * Every delivery stays unacked on this reader's channel until it is
 * settled; the channel has a generation, and deliveries of an older
 * generation are gone (the broker requeued them when the channel closed).
 * A delivery the consumer got after its waiter left is stashed for the
 * next fetch, and given back (see `onUnclaimed`) if none comes soon.
 */
import type { Channel, ChannelModel, ConsumeMessage, GetMessage, Message } from "amqplib";

/** A delivery with the generation of the channel that received it. */
export interface Got {
  /** The delivery. */
  readonly message: Message;
  /** Generation of the reader channel it is unacked on. */
  readonly generation: number;
}

interface Waiter {
  resolve(got: Got | undefined): void;
}

/** How long a stashed delivery waits for a fetch before it is given back. */
const STASH_MS = 2_000;

/** Callbacks of a reader. */
export interface GroupReaderHooks {
  /** A stashed delivery no fetch claimed: return it to the queue. */
  onUnclaimed(got: Got): void;
  /** The channel of `generation` closed; its deliveries are back in the queue. */
  onLost(generation: number): void;
}

/** The reader of one group queue in one process. */
export class GroupReader {
  readonly #model: () => ChannelModel;
  readonly #queue: string;
  readonly #hooks: GroupReaderHooks;
  #channel: Promise<Channel> | undefined;
  #generation = 0;
  #open = false;
  #current: Channel | undefined;
  #consumer: Promise<{ channel: Channel; tag: string }> | undefined;
  readonly #waiters: Waiter[] = [];
  readonly #stash: { got: Got; timer: NodeJS.Timeout }[] = [];
  #closed = false;

  constructor(model: () => ChannelModel, queue: string, hooks: GroupReaderHooks) {
    this.#model = model;
    this.#queue = queue;
    this.#hooks = hooks;
  }

  /** Name of the queue read. */
  get queue(): string {
    return this.#queue;
  }

  /** true when deliveries of `generation` can still be settled. */
  isCurrent(generation: number): boolean {
    return this.#open && generation === this.#generation;
  }

  async #ensureChannel(): Promise<{ channel: Channel; generation: number }> {
    if (this.#channel === undefined) {
      const opening = (async () => {
        const channel = await this.#model().createChannel();
        channel.on("error", () => undefined);
        const generation = ++this.#generation;
        this.#open = true;
        channel.on("close", () => this.#lost(opening, generation));
        await channel.prefetch(1);
        this.#current = channel;
        return channel;
      })();
      this.#channel = opening;
      opening.catch(() => {
        if (this.#channel === opening) this.#channel = undefined;
      });
    }
    const channel = await this.#channel;
    return { channel, generation: this.#generation };
  }

  #lost(opening: Promise<Channel>, generation: number): void {
    if (this.#channel !== opening) return;
    this.#channel = undefined;
    this.#current = undefined;
    this.#open = false;
    this.#consumer = undefined;
    for (const { timer } of this.#stash.splice(0)) clearTimeout(timer);
    for (const waiter of this.#waiters.splice(0)) waiter.resolve(undefined);
    this.#hooks.onLost(generation);
  }

  /** Takes the next ready message (a stashed one first), or undefined when none is ready. */
  async get(): Promise<Got | undefined> {
    const stashed = this.#stash.shift();
    if (stashed !== undefined) {
      clearTimeout(stashed.timer);
      return stashed.got;
    }
    const { channel, generation } = await this.#ensureChannel();
    const message: GetMessage | false = await channel.get(this.#queue, { noAck: false });
    return message === false ? undefined : { message, generation };
  }

  /** Waits until `deadline` (performance.now() time) for the next message. */
  wait(deadline: number, signal?: AbortSignal): Promise<Got | undefined> {
    const stashed = this.#stash.shift();
    if (stashed !== undefined) {
      clearTimeout(stashed.timer);
      return Promise.resolve(stashed.got);
    }
    if (signal?.aborted === true || this.#closed) return Promise.resolve(undefined);
    return new Promise<Got | undefined>((resolve) => {
      const waiter: Waiter = {
        resolve: (got) => {
          clearTimeout(timer);
          signal?.removeEventListener("abort", onAbort);
          const index = this.#waiters.indexOf(waiter);
          if (index !== -1) this.#waiters.splice(index, 1);
          if (this.#waiters.length === 0) this.#stopConsumer();
          resolve(got);
        },
      };
      const onAbort = () => waiter.resolve(undefined);
      const timer = setTimeout(onAbort, Math.max(0, deadline - performance.now()));
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#waiters.push(waiter);
      this.#startConsumer();
    });
  }

  #startConsumer(): void {
    if (this.#consumer !== undefined) return;
    const starting = (async () => {
      const { channel, generation } = await this.#ensureChannel();
      const { consumerTag } = await channel.consume(
        this.#queue,
        (message) => this.#delivered(starting, message, generation),
        { noAck: false },
      );
      return { channel, tag: consumerTag };
    })();
    this.#consumer = starting;
    starting.catch(() => {
      if (this.#consumer !== starting) return;
      this.#consumer = undefined;
      for (const waiter of [...this.#waiters]) waiter.resolve(undefined);
    });
  }

  #stopConsumer(): void {
    const consumer = this.#consumer;
    this.#consumer = undefined;
    consumer?.then(({ channel, tag }) => channel.cancel(tag)).catch(() => undefined);
  }

  #delivered(
    consumer: Promise<{ channel: Channel; tag: string }>,
    message: ConsumeMessage | null,
    generation: number,
  ): void {
    if (message === null) {
      // The broker cancelled the consumer (the queue was deleted).
      if (this.#consumer === consumer) this.#consumer = undefined;
      for (const waiter of [...this.#waiters]) waiter.resolve(undefined);
      return;
    }
    const got: Got = { message, generation };
    // Its prefetch window is now full: a fresh consumer serves the next waiter.
    if (this.#consumer === consumer) this.#stopConsumer();
    const waiter = this.#waiters.shift();
    if (this.#waiters.length > 0) this.#startConsumer();
    if (waiter !== undefined) {
      waiter.resolve(got);
      return;
    }
    const entry = {
      got,
      timer: setTimeout(() => {
        const index = this.#stash.indexOf(entry);
        if (index === -1) return;
        this.#stash.splice(index, 1);
        this.#hooks.onUnclaimed(got);
      }, STASH_MS),
    };
    entry.timer.unref();
    this.#stash.push(entry);
  }

  /** Acks a delivery; false when its channel is gone. */
  ack(got: Got): boolean {
    if (!this.isCurrent(got.generation) || this.#current === undefined) return false;
    this.#current.ack(got.message);
    return true;
  }

  /** Returns a delivery to the queue (counted by the broker as a failed delivery). */
  requeue(got: Got): boolean {
    if (!this.isCurrent(got.generation) || this.#current === undefined) return false;
    this.#current.nack(got.message, false, true);
    return true;
  }

  /** Deliveries stashed here and not leased (pending for stats). */
  stashed(): number {
    return this.#stash.length;
  }

  /** Closes the channel (the broker requeues what it holds). */
  async close(): Promise<void> {
    this.#closed = true;
    for (const waiter of [...this.#waiters]) waiter.resolve(undefined);
    for (const { timer } of this.#stash.splice(0)) clearTimeout(timer);
    const channel = this.#channel;
    this.#channel = undefined;
    this.#current = undefined;
    this.#open = false;
    if (channel !== undefined) {
      await (await channel.catch(() => undefined))?.close().catch(() => undefined);
    }
  }
}
