/** What a session hands its transport (frames) and its observers (events). */
import type { Delivery, SettleOutcome } from "../buffer/index.js";
import type { ConnectionInfo } from "../channels/index.js";

/** What a transport sends to its client. */
export type SessionFrame =
  | { readonly kind: "message"; readonly delivery: Delivery }
  | { readonly kind: "heartbeat"; readonly at: number };

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
