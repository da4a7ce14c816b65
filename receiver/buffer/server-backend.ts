/**
 * What the backends on a shared server (JetStream, Redis, RabbitMQ) do
 * alike: their features, their lookup of ensured channels, and the guard
 * that turns a closed buffer, a server that is down, or a failure of the
 * server's client into BufferUnavailableError.
 */
import { BufferUnavailableError, UnknownChannelError, WebhookConnectError } from "../errors.js";
import type { Buffer, BufferFeatures, NackOptions, SettleOutcome } from "./buffer.js";

/** Features of a backend whose server several receivers share and which keeps data on disk. */
export const SHARED_SERVER_FEATURES: BufferFeatures = Object.freeze({
  sharedAcrossProcesses: true,
  waitsWithoutDeadline: false,
  durableAcrossRestart: true,
});

/** The entry of a channel this process ensured; throws UnknownChannelError. */
export function requireEnsured<T>(channels: ReadonlyMap<string, T>, channel: string): T {
  const entry = channels.get(channel);
  if (entry === undefined) throw new UnknownChannelError(channel);
  return entry;
}

/** How a backend says it is closed, its server is down, or a call failed. */
export interface GuardedBackend {
  /** Message of the error every call gets after close(). */
  readonly closedMessage: string;
  /** Whether close() was called. */
  isClosed(): boolean;
  /**
   * Throws BufferUnavailableError while the server is known to be down, so a
   * call fails at once instead of waiting in the client; `what` names the call.
   */
  assertReachable(what: string): void;
  /** The error for a failure of the server or its client while doing `what`. */
  failed(what: string, error: unknown): Error;
}

/** Runs a buffer call's body; see createGuard. */
export type Guard = <T>(what: string, body: () => Promise<T>) => Promise<T>;

/**
 * The guard every call of a server backend runs in: refused once closed or
 * while the server is down; our own errors (QueueFullError,
 * UnknownChannelError, …) pass through, anything else becomes `failed`.
 */
export function createGuard(backend: GuardedBackend): Guard {
  return async (what, body) => {
    if (backend.isClosed()) throw new BufferUnavailableError(backend.closedMessage);
    backend.assertReachable(what);
    try {
      return await body();
    } catch (error) {
      if (error instanceof WebhookConnectError) throw error;
      throw backend.failed(what, error);
    }
  };
}

/** Settles one lease: an ack when `nack` is undefined, else a nack with its options. */
export type Settle = (
  channel: string,
  group: string,
  messageId: string,
  nack: NackOptions | undefined,
) => Promise<SettleOutcome>;

/** The `ack` and `nack` of a backend that settles both with one function, each in the guard. */
export function ackAndNack(guard: Guard, settle: Settle): Pick<Buffer, "ack" | "nack"> {
  return {
    ack: (channel, group, messageId) =>
      guard("acking", () => settle(channel, group, messageId, undefined)),
    nack: (channel, group, messageId, nackOptions) =>
      guard("nacking", () => settle(channel, group, messageId, nackOptions)),
  };
}
