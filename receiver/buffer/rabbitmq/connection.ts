/**
 * An AMQP connection of the buffer. It reconnects forever in the
 * background (500 ms doubling to 5 s) and tracks whether it is up (and
 * not blocked by a broker alarm) right now, so every call fails fast with
 * BufferUnavailableError while the broker is away instead of waiting in a
 * client buffer (a publish that
 * waited there could be stored after we told the sender it was not).
 * Each (re)connection has a generation number: channels and leases of an
 * older generation are gone with it (the broker requeued their deliveries).
 */
import { type ChannelModel, type ConfirmChannel, connect } from "amqplib";
import { BufferUnavailableError } from "../../errors.js";

/** A tracked, reconnecting AMQP connection. */
export interface TrackedConnection {
  /** The live connection; throws BufferUnavailableError while down. */
  model(): ChannelModel;
  /** Generation of the live connection (increases on every reconnect). */
  generation(): number;
  /** true while connected. */
  connected(): boolean;
  /** The shared confirm channel for publishes (recreated after a failure). */
  publisher(): Promise<ConfirmChannel>;
  /** Registers a callback run when the connection goes down or comes back. */
  onChange(listener: (connected: boolean) => void): void;
  /** Registers a callback run when the broker blocks or unblocks this connection's publishes. */
  onBlocked(listener: (blocked: boolean) => void): void;
  /** Closes for good. */
  close(): Promise<void>;
}

/** Options of openConnection. */
export interface ConnectionOptions {
  /** `amqp://` or `amqps://` URL. */
  readonly url: string;
  /** Connection name shown by the broker. */
  readonly name: string;
  /** Timeout of one connect attempt. */
  readonly connectTimeoutMs: number;
  /** Heartbeat interval in seconds. */
  readonly heartbeatSeconds: number;
}

/** The URL with its password replaced, for error messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== "") parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(unparseable URL)";
  }
}

/** The broker's reason for refusing a connection (bad login, unknown vhost), if it gave one. */
function refusal(error: unknown): string {
  const text = error instanceof Error ? error.message : "";
  const match = /(ACCESS_REFUSED|NOT_ALLOWED) - ([^"]*)/.exec(text);
  if (match !== null) return `: ${match[1]} - ${match[2]!.slice(0, 160)}`;
  // The broker closes the connection instead of opening the vhost.
  if (text.includes("Expected ConnectionOpenOk")) {
    return ": the broker refused the vhost (it does not exist, or the user has no access to it)";
  }
  return "";
}

async function dial(options: ConnectionOptions): Promise<ChannelModel> {
  return connect(options.url, {
    timeout: options.connectTimeoutMs,
    heartbeat: options.heartbeatSeconds,
    clientProperties: { connection_name: options.name },
  } as Parameters<typeof connect>[1]);
}

/** Connects; rejects with BufferUnavailableError when the broker does not answer. */
export async function openConnection(options: ConnectionOptions): Promise<TrackedConnection> {
  let current: ChannelModel;
  try {
    current = await dial(options);
  } catch (error) {
    throw new BufferUnavailableError(
      `cannot connect to RabbitMQ at ${redactUrl(options.url)}${refusal(error)}`,
      error,
    );
  }
  let up = true;
  let blocked = false;
  let generation = 1;
  let closed = false;
  let publisher: Promise<ConfirmChannel> | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  const listeners: ((connected: boolean) => void)[] = [];
  const blockedListeners: ((blocked: boolean) => void)[] = [];
  const setBlocked = (value: boolean) => {
    if (blocked === value) return;
    blocked = value;
    for (const listener of blockedListeners) listener(value);
  };

  const set = (connected: boolean) => {
    if (up === connected) return;
    up = connected;
    for (const listener of listeners) listener(connected);
  };

  const watch = (model: ChannelModel) => {
    // An 'error' is always followed by 'close'; without a listener it would throw.
    model.on("error", () => undefined);
    model.on("close", () => {
      if (model !== current) return;
      publisher = undefined;
      setBlocked(false);
      set(false);
      if (!closed) reconnect(500);
    });
    model.on("blocked", () => setBlocked(true));
    model.on("unblocked", () => setBlocked(false));
  };

  const reconnect = (delayMs: number) => {
    retryTimer = setTimeout(async () => {
      retryTimer = undefined;
      if (closed) return;
      try {
        const model = await dial(options);
        if (closed) {
          await model.close().catch(() => undefined);
          return;
        }
        current = model;
        generation++;
        watch(model);
        set(true);
      } catch {
        reconnect(Math.min(delayMs * 2, 5_000));
      }
    }, delayMs);
    retryTimer.unref();
  };

  watch(current);

  const assertUp = () => {
    if (closed) throw new BufferUnavailableError("RabbitMQ buffer is closed");
    if (!up) {
      throw new BufferUnavailableError(
        "RabbitMQ is not connected (reconnecting in the background)",
      );
    }
    if (blocked) {
      throw new BufferUnavailableError("RabbitMQ is blocking publishers (memory or disk alarm)");
    }
  };

  return {
    model() {
      assertUp();
      return current;
    },
    generation: () => generation,
    connected: () => up && !blocked && !closed,
    publisher() {
      assertUp();
      if (publisher === undefined) {
        const model = current;
        const opening = model.createConfirmChannel().then((channel) => {
          channel.on("error", () => undefined);
          channel.on("close", () => {
            if (publisher === opening) publisher = undefined;
          });
          return channel;
        });
        opening.catch(() => {
          if (publisher === opening) publisher = undefined;
        });
        publisher = opening;
      }
      return publisher;
    },
    onChange(listener) {
      listeners.push(listener);
    },
    onBlocked(listener) {
      blockedListeners.push(listener);
    },
    async close() {
      if (closed) return;
      closed = true;
      if (retryTimer !== undefined) clearTimeout(retryTimer);
      up = false;
      await current.close().catch(() => undefined);
    },
  };
}
