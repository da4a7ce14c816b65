/** Options of a session (`openSession`), documented where they are declared. */
import type { Buffer } from "../buffer/index.js";
import type { ChannelRegistry } from "../channels/index.js";
import type { SessionEvent } from "./session-events.js";

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
