/**
 * Replays from the inspector: re-sends a recorded delivery's exact bytes
 * and headers once (no local retries), to its configured target or to a
 * `target_url` given for this replay, and records the new request. The
 * buffer is not involved: nothing is acked or nacked again.
 */
import type { TargetConfig } from "../config/index.js";
import type { Deliverer } from "../delivery/index.js";
import { type AttemptRecord, createHttpTargetDeliverer } from "../delivery/index.js";
import type { HistoryStore } from "./history-store.js";
import { messageOf } from "./recording.js";

/** What a replay did. */
export interface ReplayResult {
  readonly message_id: string;
  /** `delivered`: the target answered 2xx (or the modules succeeded). */
  readonly outcome: "delivered" | "failed";
  readonly status: number | null;
  readonly reason: string | null;
  readonly target_url: string;
}

/** Why a replay could not start (not found, no target, bad URL). */
export class ReplayError extends Error {
  constructor(
    message: string,
    /** HTTP status of the inspector's answer. */
    readonly status: number,
  ) {
    super(message);
    this.name = "ReplayError";
  }
}

/** Options of createReplayer. */
export interface ReplayerOptions {
  readonly store: HistoryStore;
  /** HTTP mode: the configured targets. */
  readonly defaultTarget?: TargetConfig | undefined;
  readonly targets?: Readonly<Record<string, TargetConfig>> | undefined;
  /** Module mode: the connector's deliverer (replays go through the modules). */
  readonly moduleDeliverer?: Deliverer | undefined;
  /** `X-Forwarded-Proto` of replayed requests. */
  readonly forwardedProto: string;
}

/** Replays recorded deliveries. */
export interface Replayer {
  replay(messageId: string, targetUrl?: string): Promise<ReplayResult>;
}

const defaults: Omit<TargetConfig, "url"> = {
  headers: {},
  timeout_seconds: 30,
  retry_enabled: false,
  retry_max_attempts: 1,
  retry_delay_seconds: 0,
  retry_backoff_multiplier: 1,
  forward_query: true,
  forwarded_headers: true,
};

/** Creates the Replayer. */
export function createReplayer(options: ReplayerOptions): Replayer {
  const { store } = options;
  return {
    async replay(messageId, targetUrl) {
      const request = store.request(messageId);
      if (request === undefined)
        throw new ReplayError(`no delivery '${messageId}' in the history`, 404);
      const message = messageOf(request);
      const configured = options.targets?.[request.webhookId] ?? options.defaultTarget;
      if (targetUrl === undefined && configured === undefined) {
        if (options.moduleDeliverer !== undefined) {
          return replayThroughModules(options.moduleDeliverer, store, message);
        }
        throw new ReplayError(
          `no target configured for webhook '${request.webhookId}'; give target_url`,
          422,
        );
      }
      let target: TargetConfig;
      if (targetUrl === undefined) {
        target = { ...configured!, retry_enabled: false };
      } else {
        let url: URL;
        try {
          url = new URL(targetUrl);
        } catch {
          throw new ReplayError(
            `target_url: expected an http:// or https:// URL, got '${targetUrl}'`,
            400,
          );
        }
        if (url.protocol !== "http:" && url.protocol !== "https:") {
          throw new ReplayError(
            `target_url: expected an http:// or https:// URL, got '${targetUrl}'`,
            400,
          );
        }
        target = { ...(configured ?? defaults), retry_enabled: false, url: url.href };
      }
      const attempts: AttemptRecord[] = [];
      const deliverer = createHttpTargetDeliverer({
        defaultTarget: target,
        forwardedProto: options.forwardedProto,
        onAttempt: (record) => attempts.push(record),
      });
      try {
        const outcome = await deliverer.deliver(message, new AbortController().signal);
        store.recordReplay(messageId, attempts);
        store.flush();
        return {
          message_id: messageId,
          outcome: outcome.kind === "ack" ? "delivered" : "failed",
          status: outcome.status ?? null,
          reason: outcome.kind === "ack" ? null : outcome.reason,
          target_url: attempts[0]?.url ?? target.url,
        };
      } finally {
        await deliverer.close();
      }
    },
  };
}

async function replayThroughModules(
  deliverer: Deliverer,
  store: HistoryStore,
  message: ReturnType<typeof messageOf>,
): Promise<ReplayResult> {
  const startedAt = Date.now();
  const started = performance.now();
  const outcome = await deliverer.deliver(message, new AbortController().signal);
  const reason = outcome.kind === "ack" ? null : outcome.reason;
  store.recordReplay(message.messageId, [
    {
      messageId: message.messageId,
      url: "modules",
      method: message.method,
      localRetry: 0,
      startedAt,
      durationMs: Math.round(performance.now() - started),
      ...(reason === null ? {} : { error: reason }),
    },
  ]);
  store.flush();
  return {
    message_id: message.messageId,
    outcome: outcome.kind === "ack" ? "delivered" : "failed",
    status: null,
    reason,
    target_url: "modules",
  };
}
