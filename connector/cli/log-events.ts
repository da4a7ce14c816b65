/**
 * Turns runner and module-mode events into log lines. Events carry no
 * token and no bodies, so nothing secret reaches a line.
 */
import type { Logger } from "pino";
import type { ModuleEvent } from "../modules/index.js";
import type { ConnectorEvent, DeliveryFacts } from "../runner/index.js";

/** The fields `delivered` and `failed` lines share, in their order. */
function deliveryFields(event: DeliveryFacts & { readonly durationMs: number }) {
  return {
    message_id: event.messageId,
    webhook_id: event.webhookId,
    delivery_attempt: event.deliveryAttempt,
    method: event.method,
    path: event.path,
    query: event.query,
    status: event.status,
    attempts: event.attempts,
    duration_ms: event.durationMs,
  };
}

/** Writes one log line for a runner event. */
export function logConnectorEvent(logger: Logger, event: ConnectorEvent): void {
  switch (event.type) {
    case "connecting":
      logger.debug({ attempt: event.attempt }, "connecting");
      return;
    case "connected":
      // One line per transport `auto` left, with why, before the one it ended on.
      for (const fallback of event.fallbacks) {
        logger.warn(
          { transport: fallback.transport, reason: fallback.reason, using: event.transport },
          "transport failed; falling back",
        );
      }
      logger.info(
        {
          transport: event.transport,
          connection_id: event.connectionId,
          channel: event.channel,
          group: event.group,
          max_in_flight: event.maxInFlight,
          heartbeat_interval_ms: event.heartbeatIntervalMs,
          ...(event.backlog === undefined ? {} : { backlog: event.backlog }),
          ...(event.fallbacks.length === 0 ? {} : { fell_back_from: event.fallbacks }),
        },
        "connected",
      );
      return;
    case "connect_failed":
      if (event.fatal) {
        logger.error(
          { code: event.code, reason: event.message },
          event.code === "WC_ERR_CONNECTOR_PROXY"
            ? "the forward proxy refused this connector; check the credentials in proxy_url (retrying with backoff)"
            : "the receiver refused this connector; check token and channel (retrying with backoff)",
        );
      } else {
        logger.warn({ code: event.code, reason: event.message }, "connect failed");
      }
      return;
    case "disconnected":
      (event.reason === "shutdown" ? logger.info : logger.warn).call(
        logger,
        {
          transport: event.transport,
          reason: event.reason,
          detail: event.message,
          duration_ms: event.durationMs,
          delivered: event.delivered,
        },
        "disconnected",
      );
      return;
    case "reconnecting":
      logger.info(
        { delay_ms: event.delayMs, attempt: event.attempt, fatal: event.fatal },
        "reconnecting",
      );
      return;
    case "delivered":
      logger.debug(deliveryFields(event), "delivered");
      return;
    case "failed":
      (event.retry ? logger.warn : logger.error).call(
        logger,
        {
          ...deliveryFields(event),
          retry: event.retry,
          reason: event.reason,
          ...(event.delayMs === undefined ? {} : { delay_ms: event.delayMs }),
        },
        event.retry ? "delivery failed, will be redelivered" : "delivery rejected, dead-lettered",
      );
      return;
    case "duplicate":
      logger.debug({ message_id: event.messageId, in_flight: event.inFlight }, "duplicate");
      return;
    case "notice": {
      const { notice } = event;
      const fields = { code: notice.code, detail: notice.message, message_id: notice.messageId };
      if (notice.level === "error") logger.error(fields, "server notice");
      else if (notice.level === "warning") logger.warn(fields, "server notice");
      else logger.info(fields, "server notice");
      return;
    }
    case "stopping":
      logger.info({ in_flight: event.inFlight }, "stopping: finishing in-flight deliveries");
      return;
    case "stopped":
      logger.info({ abandoned: event.abandoned }, "stopped");
      return;
  }
}

/** Writes one log line for a module-mode event. */
export function logModuleEvent(logger: Logger, event: ModuleEvent): void {
  const { type, ...fields } = event;
  if (type === "chain_item_skipped") logger.debug(fields, type);
  else logger.warn(fields, type);
}
