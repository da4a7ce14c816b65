/** What every admin route needs, and the typed events the admin API emits. */
import type { Buffer } from "../buffer/index.js";
import type { ChannelRegistry, ChannelTokens } from "../channels/index.js";
import type { ChannelConfig, ReceiverConfig } from "../config/index.js";
import type { AnyRequest } from "../server/index.js";
import type { WebhookStats } from "./webhook-stats.js";

/** Shared state of the admin routes. */
export interface AdminContext {
  /** `WEBHOOK_CONNECT_ADMIN_TOKEN`; undefined or empty disables the API (403). */
  readonly adminToken: string | undefined;
  /** The loaded webhooks.json. */
  readonly config: ReceiverConfig;
  /** The buffer (stats and dead letters come from it). */
  readonly buffer: Buffer;
  /** Channels and the connections attached to this replica. */
  readonly registry: ChannelRegistry;
  /** Persisted connector tokens. */
  readonly tokens: ChannelTokens;
  /** Ingest outcomes per webhook since start. */
  readonly webhookStats: WebhookStats;
  /** Clock. */
  readonly now: () => number;
  /** When the receiver started (ms since epoch). */
  readonly startedAt: number;
}

/** One admin request, parsed. */
export interface AdminRequest {
  /** The raw request (for bodies). */
  readonly req: AnyRequest;
  /** Upper-case method. */
  readonly method: string;
  /** Query parameters. */
  readonly query: URLSearchParams;
  /** The channel named by the path, when the route has one. */
  readonly channel: ChannelConfig | undefined;
  /** Path parameters after the channel (e.g. the connection id). */
  readonly params: readonly string[];
}

/** What a route answers. */
export interface AdminResponse {
  /** HTTP status. */
  readonly status: number;
  /** JSON body. */
  readonly body: unknown;
  /** An operator action to report (logs); undefined for reads. */
  readonly action?: AdminAction;
}

/** An operator action the admin API performed. Never carries a token. */
export type AdminAction =
  | {
      readonly type: "token_rotated";
      readonly channel: string;
      readonly previousValidUntil: number | undefined;
    }
  | {
      readonly type: "connection_closed";
      readonly channel: string;
      readonly connectionId: string;
      readonly connectorId: string;
    }
  | { readonly type: "dead_letters_replayed"; readonly channel: string; readonly count: number }
  | { readonly type: "dead_letters_purged"; readonly channel: string; readonly count: number };

/** Events of the admin API, for logs and metrics. */
export type AdminEvent =
  | {
      readonly type: "request";
      /** Request id (also sent as `X-Request-Id`). */
      readonly requestId: string;
      readonly method: string;
      readonly path: string;
      readonly status: number;
      readonly durationMs: number;
    }
  | ({ readonly requestId: string } & AdminAction);

/** A route: answers one method of one path shape. */
export type AdminRoute = (context: AdminContext, request: AdminRequest) => Promise<AdminResponse>;
