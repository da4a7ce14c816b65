/**
 * How one process takes messages from a group queue: a consumer with a
 * prefetch of the group's in-flight limit, running while this process
 * has fetches for the group (it stops after IDLE_MS without one). The
 * broker pushes deliveries into a local buffer; a fetch takes them from
 * there and turns them into leases. (`basic.get` is no alternative: on a
 * quorum queue each one is a replicated log write, a few ms apiece.)
 *
 * Every delivery stays unacked on this reader's channel until it is
 * settled. The channel has a generation; deliveries of an older one are
 * gone (the broker requeued them when it closed). Buffered deliveries no
 * fetch took are given back when the consumer stops (see `onUnclaimed`),
 * so the broker does not count them as failed deliveries.
 */
import type { Channel, ChannelModel, ConsumeMessage, Message } from "amqplib";

/** A delivery with the generation of the channel that received it. */
export interface Got {
  /** The delivery. */
  readonly message: Message;
  /** Generation of the reader channel it is unacked on. */
  readonly generation: number;
  /** Serial of the consumer that received it. */
  readonly consumer: number;
}

/** How long a reader with no fetches keeps its consumer. */
const IDLE_MS = 5_000;
/** How long a fetch that found messages ready at the broker waits for the first one. */
const FIRST_DELIVERY_MS = 500;
/** A fetch keeps collecting until no delivery arrived for this long (or it has enough). */
const QUIET_MS = 5;

/** Callbacks of a reader. */
export interface GroupReaderHooks {
  /** Buffered deliveries no fetch took: return them to the queue. */
  onUnclaimed(deliveries: readonly Got[]): Promise<void>;
  /** The channel of `generation` closed; its deliveries are back in the queue. */
  onLost(generation: number): void;
  /**
   * Unacked deliveries one consumer may hold (leases included), and
   * whether a fresh consumer may take over when the leases fill that
   * window (false for ordered groups: one message in flight).
   */
  prefetch(): { readonly count: number; readonly grow: boolean };
}

/** The reader of one group queue in one process. */
export class GroupReader {
  readonly #model: () => ChannelModel;
  readonly #queue: string;
  readonly #hooks: GroupReaderHooks;
  #channel: Promise<Channel> | undefined;
  #current: Channel | undefined;
  #generation = 0;
  #consumer: Promise<string> | undefined;
  #serial = 0;
  #window = 0;
  #inWindow = 0;
  #grow = true;
  readonly #buffer: Got[] = [];
  readonly #wakers = new Set<() => void>();
  #lastUse = 0;
  #idleTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(model: () => ChannelModel, queue: string, hooks: GroupReaderHooks) {
    this.#model = model;
    this.#queue = queue;
    this.#hooks = hooks;
  }

  /** true when deliveries of `generation` can still be settled. */
  isCurrent(generation: number): boolean {
    return this.#current !== undefined && generation === this.#generation;
  }

  /** Deliveries buffered here and not leased (pending, for stats). */
  buffered(): number {
    return this.#buffer.length;
  }

  async #ensureChannel(): Promise<Channel> {
    if (this.#channel === undefined) {
      const opening = (async () => {
        const channel = await this.#model().createChannel();
        channel.on("error", () => undefined);
        const generation = ++this.#generation;
        channel.on("close", () => this.#lost(opening, generation));
        this.#current = channel;
        return channel;
      })();
      this.#channel = opening;
      opening.catch(() => {
        if (this.#channel === opening) this.#channel = undefined;
      });
    }
    return this.#channel;
  }

  #lost(opening: Promise<Channel>, generation: number): void {
    if (this.#channel !== opening) return;
    this.#channel = undefined;
    this.#current = undefined;
    this.#consumer = undefined;
    this.#buffer.length = 0;
    this.#wake();
    this.#hooks.onLost(generation);
  }

  #wake(): void {
    for (const wake of [...this.#wakers]) wake();
  }

  async #ensureConsumer(): Promise<void> {
    if (this.#consumer === undefined) {
      const starting = (async () => {
        const channel = await this.#ensureChannel();
        const generation = this.#generation;
        const { count, grow } = this.#hooks.prefetch();
        const serial = ++this.#serial;
        this.#window = Math.max(1, count);
        this.#inWindow = 0;
        this.#grow = grow;
        await channel.prefetch(this.#window);
        const { consumerTag } = await channel.consume(
          this.#queue,
          (message) => this.#delivered(starting, message, generation, serial),
          { noAck: false },
        );
        return consumerTag;
      })();
      this.#consumer = starting;
      starting.catch(() => {
        if (this.#consumer === starting) this.#consumer = undefined;
      });
      this.#idleTimer ??= setInterval(() => this.#idleCheck(), IDLE_MS);
      this.#idleTimer.unref();
    }
    await this.#consumer;
  }

  #delivered(
    starting: Promise<string>,
    message: ConsumeMessage | null,
    generation: number,
    serial: number,
  ): void {
    if (message === null) {
      // The broker cancelled the consumer (e.g. the queue was deleted).
      if (this.#consumer === starting) this.#consumer = undefined;
      this.#wake();
      return;
    }
    if (generation !== this.#generation) return;
    if (serial === this.#serial) this.#inWindow++;
    this.#buffer.push({ message, generation, consumer: serial });
    this.#wake();
  }

  /** Resolves true on the next delivery (or loss), false after `ms` or on abort. */
  #next(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
    if (ms <= 0 || signal?.aborted === true) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = (value: boolean) => {
        clearTimeout(timer);
        this.#wakers.delete(onWake);
        signal?.removeEventListener("abort", onAbort);
        resolve(value);
      };
      const onWake = () => done(true);
      const onAbort = () => done(false);
      const timer = setTimeout(() => done(false), ms);
      this.#wakers.add(onWake);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Ready messages of the queue at the broker (not pushed to any consumer yet). */
  async #readyAtBroker(): Promise<number> {
    const channel = await this.#ensureChannel();
    return (await channel.checkQueue(this.#queue)).messageCount;
  }

  /**
   * Takes up to `max` deliveries: waits until `deadline` (performance.now()
   * time) for a first one, then collects what else arrives back to back.
   * With a deadline already past it still takes what is ready right now.
   */
  async take(max: number, deadline: number, signal?: AbortSignal): Promise<Got[]> {
    if (this.#closed) return [];
    this.#lastUse = performance.now();
    await this.#ensureConsumer();
    if (this.#buffer.length === 0 && this.#grow && this.#inWindow >= this.#window) {
      // Leases fill the consumer's window: a fresh consumer (same channel,
      // so those leases stay valid) brings the next messages.
      await this.#cancelConsumer();
      await this.#ensureConsumer();
    }
    if (this.#buffer.length === 0) {
      const remaining = deadline - performance.now();
      if (remaining > 0) {
        while (this.#buffer.length === 0 && signal?.aborted !== true) {
          if (!(await this.#next(deadline - performance.now(), signal))) break;
          // Woken by a lost channel: start over on a new one.
          if (this.#consumer === undefined && !this.#closed) await this.#ensureConsumer();
        }
      } else if ((await this.#readyAtBroker()) > 0) {
        await this.#next(FIRST_DELIVERY_MS, signal);
      }
    }
    const out = this.#buffer.splice(0, max);
    while (out.length > 0 && out.length < max && (await this.#next(QUIET_MS, signal))) {
      out.push(...this.#buffer.splice(0, max - out.length));
    }
    this.#lastUse = performance.now();
    return out;
  }

  #idleCheck(): void {
    if (this.#consumer === undefined || this.#wakers.size > 0) return;
    if (performance.now() - this.#lastUse < IDLE_MS) return;
    void this.#stop();
  }

  /** Cancels the consumer; its deliveries stay valid. false when that failed. */
  async #cancelConsumer(): Promise<boolean> {
    const consumer = this.#consumer;
    this.#consumer = undefined;
    if (consumer === undefined) return true;
    try {
      const tag = await consumer;
      await this.#current?.cancel(tag);
      return true;
    } catch {
      return false;
    }
  }

  /** Cancels the consumer and gives its buffered deliveries back. */
  async #stop(): Promise<void> {
    if (this.#idleTimer !== undefined) clearInterval(this.#idleTimer);
    this.#idleTimer = undefined;
    if (!(await this.#cancelConsumer())) return;
    // After cancel-ok no more deliveries come for it.
    const unclaimed = this.#buffer.splice(0);
    if (unclaimed.length > 0) await this.#hooks.onUnclaimed(unclaimed);
  }

  /** Acks a delivery; false when its channel is gone. */
  ack(got: Got): boolean {
    if (!this.isCurrent(got.generation)) return false;
    if (got.consumer === this.#serial) this.#inWindow--;
    this.#current!.ack(got.message);
    return true;
  }

  /** Returns a delivery to the queue (counted by the broker as a failed delivery). */
  requeue(got: Got): boolean {
    if (!this.isCurrent(got.generation)) return false;
    if (got.consumer === this.#serial) this.#inWindow--;
    this.#current!.nack(got.message, false, true);
    return true;
  }

  /** Gives buffered deliveries back, then closes the channel (the broker requeues leases). */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#stop().catch(() => undefined);
    this.#wake();
    const channel = this.#channel;
    this.#channel = undefined;
    this.#current = undefined;
    if (channel !== undefined) {
      await (await channel.catch(() => undefined))?.close().catch(() => undefined);
    }
  }
}
