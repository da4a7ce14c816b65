/**
 * The admin room: the `/admin/webhook-connect/*` API (SPEC §6), persisted
 * connector tokens shared by every replica, and per-webhook ingest counters.
 */
export { ADMIN_DISABLED_MESSAGE } from "./auth.js";
export {
  type ChannelTokenEvent,
  ChannelTokens,
  type ChannelTokensOptions,
  generateChannelToken,
  type RotationResult,
  type TokenInfo,
} from "./channel-tokens.js";
export type { AdminAction, AdminContext, AdminEvent } from "./context.js";
export { type AdminHandler, type AdminHandlerOptions, createAdminHandler } from "./handler.js";
export { ADMIN_PREFIX } from "./routes.js";
export { tokenStateKey } from "./token-state.js";
export { createWebhookStats, type WebhookCounters, type WebhookStats } from "./webhook-stats.js";
