/**
 * The admin room: the `/admin/webhook-connect/*` API (SPEC §6) and
 * per-webhook ingest counters.
 */
export { ADMIN_DISABLED_MESSAGE } from "./auth.js";
export type { AdminAction, AdminContext, AdminEvent } from "./context.js";
export { type AdminHandler, type AdminHandlerOptions, createAdminHandler } from "./handler.js";
export { ADMIN_PREFIX } from "./routes.js";
export { createWebhookStats, type WebhookCounters, type WebhookStats } from "./webhook-stats.js";
