/**
 * The admin route table: path shapes under `/admin/webhook-connect`, the
 * method each answers, and whether it needs the admin token.
 */
import { closeConnection, rotateToken } from "./action-routes.js";
import {
  getChannel,
  getChannelStats,
  getHealth,
  getOverview,
  getWebhookStats,
  listChannels,
} from "./channel-routes.js";
import type { AdminRoute } from "./context.js";
import { listDeadLetters, purgeDeadLetters, replayDeadLetters } from "./dead-letter-routes.js";

/** The path prefix of the admin API. */
export const ADMIN_PREFIX = "/admin/webhook-connect";

/** One path shape: literal segments, `:channel` and `:param` placeholders. */
export interface RouteEntry {
  /** Segments after the prefix. */
  readonly shape: readonly string[];
  /** Handler per method. */
  readonly methods: Readonly<Record<string, AdminRoute>>;
  /** false only for `/health`. */
  readonly authenticated: boolean;
}

/** Every admin route. */
export const adminRoutes: readonly RouteEntry[] = [
  { shape: ["health"], methods: { GET: getHealth }, authenticated: false },
  { shape: ["overview"], methods: { GET: getOverview }, authenticated: true },
  { shape: ["channels"], methods: { GET: listChannels }, authenticated: true },
  { shape: ["channels", ":channel"], methods: { GET: getChannel }, authenticated: true },
  {
    shape: ["channels", ":channel", "stats"],
    methods: { GET: getChannelStats },
    authenticated: true,
  },
  {
    shape: ["channels", ":channel", "webhook-stats"],
    methods: { GET: getWebhookStats },
    authenticated: true,
  },
  {
    shape: ["channels", ":channel", "rotate-token"],
    methods: { POST: rotateToken },
    authenticated: true,
  },
  {
    shape: ["channels", ":channel", "connections", ":param"],
    methods: { DELETE: closeConnection },
    authenticated: true,
  },
  {
    shape: ["channels", ":channel", "dead-letters"],
    methods: { GET: listDeadLetters, DELETE: purgeDeadLetters },
    authenticated: true,
  },
  {
    shape: ["channels", ":channel", "dead-letters", "replay"],
    methods: { POST: replayDeadLetters },
    authenticated: true,
  },
];

/** A matched route with its placeholders. */
export interface RouteMatch {
  /** The entry. */
  readonly entry: RouteEntry;
  /** Value of `:channel`, if the shape has one. */
  readonly channel: string | undefined;
  /** Values of `:param` placeholders, in order. */
  readonly params: readonly string[];
}

/** Finds the route for decoded path segments (after the prefix). */
export function matchRoute(segments: readonly string[]): RouteMatch | undefined {
  for (const entry of adminRoutes) {
    if (entry.shape.length !== segments.length) continue;
    let channel: string | undefined;
    const params: string[] = [];
    let ok = true;
    entry.shape.forEach((part, i) => {
      const segment = segments[i]!;
      if (part === ":channel") channel = segment;
      else if (part === ":param") params.push(segment);
      else if (part !== segment) ok = false;
    });
    if (ok) return { entry, channel, params };
  }
  return undefined;
}
