/**
 * HTTP mode (SPEC §8): delivers each message to its configured target
 * with an undici Pool per target origin. The body goes byte-for-byte, the
 * original headers go in order (hop-by-hop ones dropped), so the target
 * can verify the provider's signature as if the provider called it.
 *
 * Decision table: 2xx → ack; 408, 429, 3xx, 5xx, timeout, network error →
 * local retries when `retry_enabled` (honouring Retry-After, else waiting
 * by the connector's backoff policy), then retry; other 4xx (410 included)
 * → reject. The `http_webhook` output module delivers through this too.
 */
import { setTimeout as delay } from "node:timers/promises";
import { Pool } from "undici";
import type { WebhookMessage } from "../../gen/webhookconnect/v1/message_pb.js";
import type { TargetConfig } from "../config/index.js";
import { type BackoffPolicy, backoffDelayMs } from "./backoff-policy.js";
import type { Deliverer, DeliveryOutcome } from "./deliverer.js";
import { buildForwardHeaders, LOCAL_RETRY_OFFSET } from "./forward-headers.js";
import { parseRetryAfter } from "./retry-after.js";
import { type SentRequest, sendRequest, type TargetAnswer } from "./send-request.js";

/** Options of createHttpTargetDeliverer. */
export interface HttpTargetDelivererOptions {
  /** Target of webhooks without an entry in `targets`. */
  readonly defaultTarget?: TargetConfig | undefined;
  /** Targets by webhook id. @default {} */
  readonly targets?: Readonly<Record<string, TargetConfig>> | undefined;
  /** Most connections per target origin. @default 32 */
  readonly connectionsPerOrigin?: number;
  /**
   * Longest Retry-After the deliverer waits for locally; a longer one ends
   * local retries and is passed to the server as the nack delay, so a slot
   * is not held past the lease. Also the cap of the backoff between local
   * retries. @default 30000
   */
  readonly maxLocalRetryWaitMs?: number;
  /** Randomness of the backoff's jitter, in [0, 1). @default Math.random */
  readonly random?: () => number;
  /**
   * Scheme senders use to reach the receiver, sent as `X-Forwarded-Proto`
   * by targets with `forwarded_headers`. @default "https"
   */
  readonly forwardedProto?: string;
  /**
   * Called after every request with what the target answered (the
   * inspector's history). When unset, responses are not kept at all.
   * @default none
   */
  readonly onAttempt?: (record: AttemptRecord) => void;
  /** Leading bytes of each response body passed to `onAttempt`. @default 65536 */
  readonly captureBytes?: number;
}

/** One request to a target, as the inspector records it. */
export interface AttemptRecord {
  readonly messageId: string;
  /** The full URL requested (target URL plus the forwarded query). */
  readonly url: string;
  readonly method: string;
  /** 0 for the first request of a delivery, then 1, 2, … (X-Webhook-Local-Retry). */
  readonly localRetry: number;
  /** Wall-clock start, in ms since the epoch. */
  readonly startedAt: number;
  readonly durationMs: number;
  /** The target's status, when it answered. */
  readonly status?: number;
  /** The target's response headers, when it answered. */
  readonly headers?: readonly (readonly [string, string])[];
  /** The first `captureBytes` of the target's response body, when it answered. */
  readonly body?: Buffer;
  /** Why there is no answer (timeout, network error, shutdown). */
  readonly error?: string;
}

/** Where a target's requests go, worked out once per target. */
interface Destination {
  readonly origin: string;
  /** Path and query of the target URL. */
  readonly path: string;
  /** What joins the original query to `path`: `?`, or `&` when the target URL has a query. */
  readonly joiner: string;
}

type Attempt =
  | { readonly kind: "ok"; readonly status: number }
  | { readonly kind: "reject"; readonly reason: string; readonly status: number }
  | {
      readonly kind: "retryable";
      readonly reason: string;
      /** The target's status; absent after a timeout or network error. */
      readonly status?: number;
      readonly retryAfterMs?: number;
    };

const SHUTDOWN_REASON = "connector shutting down";
/** How often the deadlines of attempts in flight are checked. */
const DEADLINE_CHECK_MS = 100;

interface ActiveAttempt {
  readonly deadline: number;
  timedOut: boolean;
  readonly request: SentRequest;
  /** The delivery's signal: its abort gives up this attempt (and no other delivery's). */
  readonly signal: AbortSignal;
}
const SHUTDOWN: DeliveryOutcome = { kind: "retry", reason: SHUTDOWN_REASON };

/** Creates the HTTP-mode Deliverer. */
export function createHttpTargetDeliverer(options: HttpTargetDelivererOptions): Deliverer {
  const pools = new Map<string, Pool>();
  const maxLocalWait = options.maxLocalRetryWaitMs ?? 30_000;
  const forwardedProto = options.forwardedProto ?? "https";
  const destinations = new Map<TargetConfig, Destination>();
  const destinationOf = (target: TargetConfig): Destination => {
    let destination = destinations.get(target);
    if (destination === undefined) {
      const url = new URL(target.url);
      destination = {
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        joiner: url.search === "" ? "?" : "&",
      };
      destinations.set(target, destination);
    }
    return destination;
  };
  const poolFor = (origin: string) => {
    let pool = pools.get(origin);
    if (pool === undefined) {
      pool = new Pool(origin, { connections: options.connectionsPerOrigin ?? 32 });
      pools.set(origin, pool);
    }
    return pool;
  };

  // Attempts in flight, for the shared deadline check and the shutdown signal.
  const active = new Set<ActiveAttempt>();
  let ticker: NodeJS.Timeout | undefined;
  const checkDeadlines = () => {
    const now = performance.now();
    for (const attempt of active) {
      if (attempt.deadline <= now) {
        attempt.timedOut = true;
        attempt.request.abort(new Error("target timed out"));
      }
    }
    if (active.size === 0 && ticker !== undefined) {
      clearInterval(ticker);
      ticker = undefined;
    }
  };
  const watched = new WeakSet<AbortSignal>();
  const watchShutdown = (signal: AbortSignal) => {
    if (watched.has(signal)) return;
    watched.add(signal);
    signal.addEventListener(
      "abort",
      () => {
        for (const attempt of active) {
          if (attempt.signal === signal) attempt.request.abort(new Error(SHUTDOWN_REASON));
        }
      },
      { once: true },
    );
  };

  const onAttempt = options.onAttempt;
  const captureBytes = onAttempt === undefined ? undefined : (options.captureBytes ?? 65_536);

  /** One request, reported to `onAttempt` when one is set. */
  async function attemptOnce(
    message: WebhookMessage,
    target: TargetConfig,
    destination: Destination,
    path: string,
    headers: string[],
    signal: AbortSignal,
  ): Promise<Attempt> {
    if (onAttempt === undefined)
      return request(message, target, destination, path, headers, signal);
    const box: { answer?: TargetAnswer } = {};
    const startedAt = Date.now();
    const started = performance.now();
    const result = await request(message, target, destination, path, headers, signal, box);
    const answer = box.answer;
    onAttempt({
      messageId: message.messageId,
      url: `${destination.origin}${path}`,
      method: target.method ?? (message.method === "" ? "POST" : message.method),
      localRetry: Number(headers[headers.length - LOCAL_RETRY_OFFSET]),
      startedAt,
      durationMs: Math.round(performance.now() - started),
      ...(answer === undefined
        ? { error: result.kind === "ok" ? "" : result.reason }
        : {
            status: answer.status,
            headers: answer.headers ?? [],
            body: answer.body ?? Buffer.alloc(0),
          }),
    });
    return result;
  }

  async function request(
    message: WebhookMessage,
    target: TargetConfig,
    destination: Destination,
    path: string,
    headers: string[],
    signal: AbortSignal,
    box?: { answer?: TargetAnswer },
  ): Promise<Attempt> {
    const timeoutMs = target.timeout_seconds * 1_000;
    watchShutdown(signal);
    const body = Buffer.from(message.body.buffer, message.body.byteOffset, message.body.byteLength);
    // One shared timer checks every attempt's deadline (a timer, an
    // AbortController and an abort listener per attempt cost about 6 % of
    // the connector's CPU in a drain).
    const attempt: ActiveAttempt = {
      deadline: performance.now() + timeoutMs,
      timedOut: false,
      signal,
      request: sendRequest(poolFor(destination.origin), {
        path,
        method: target.method ?? (message.method === "" ? "POST" : message.method),
        headers,
        body,
        timeoutMs,
        ...(captureBytes === undefined ? {} : { captureBytes }),
      }),
    };
    active.add(attempt);
    ticker ??= setInterval(checkDeadlines, DEADLINE_CHECK_MS);
    ticker.unref?.();
    try {
      const answer = await attempt.request.answer;
      if (box !== undefined) box.answer = answer;
      const { status, retryAfter } = answer;
      if (status >= 200 && status < 300) return { kind: "ok", status };
      const reason = `target answered HTTP ${status}`;
      // 1xx/3xx are not a verdict on the message (undici follows no redirects): retry.
      if (status === 408 || status === 429 || status >= 500 || status < 400) {
        const retryAfterMs = parseRetryAfter(retryAfter);
        return retryAfterMs === undefined
          ? { kind: "retryable", reason, status }
          : { kind: "retryable", reason, status, retryAfterMs };
      }
      return { kind: "reject", reason, status };
    } catch (error) {
      if (signal.aborted) return { kind: "retryable", reason: SHUTDOWN_REASON };
      if (attempt.timedOut) {
        return { kind: "retryable", reason: `target timed out after ${target.timeout_seconds} s` };
      }
      return { kind: "retryable", reason: `target unreachable: ${describe(error)}` };
    } finally {
      active.delete(attempt);
    }
  }

  return {
    async deliver(message, signal) {
      const target = options.targets?.[message.webhookId] ?? options.defaultTarget;
      if (target === undefined) {
        return {
          kind: "reject",
          reason: `no target configured for webhook '${message.webhookId}'`,
        };
      }
      const destination = destinationOf(target);
      const path =
        target.forward_query && message.query !== ""
          ? `${destination.path}${destination.joiner}${message.query}`
          : destination.path;
      const headers = buildForwardHeaders(
        message,
        target.headers,
        target.forwarded_headers ? { forwardedProto } : {},
      );
      const attempts = target.retry_enabled ? target.retry_max_attempts : 1;
      const backoff: BackoffPolicy = {
        initialMs: target.retry_delay_seconds * 1_000,
        multiplier: target.retry_backoff_multiplier,
        maxMs: maxLocalWait,
        ...(options.random === undefined ? {} : { random: options.random }),
      };
      for (let attempt = 1; ; attempt++) {
        if (signal.aborted) return SHUTDOWN;
        if (attempt > 1) headers[headers.length - LOCAL_RETRY_OFFSET] = String(attempt - 1);
        const result = await attemptOnce(message, target, destination, path, headers, signal);
        if (result.kind === "ok") return { kind: "ack", status: result.status, attempts: attempt };
        if (result.kind === "reject") return { ...result, attempts: attempt };
        if (signal.aborted) return SHUTDOWN;
        const retryAfter = result.retryAfterMs;
        const giveUp =
          attempt >= attempts || (retryAfter !== undefined && retryAfter > maxLocalWait);
        if (giveUp) {
          const detail =
            result.status === undefined
              ? { attempts: attempt }
              : { attempts: attempt, status: result.status };
          return retryAfter === undefined
            ? { kind: "retry", reason: result.reason, ...detail }
            : { kind: "retry", reason: result.reason, ...detail, delayMs: retryAfter };
        }
        try {
          // The target's own Retry-After wins over our backoff, as in undici's RetryHandler.
          await delay(retryAfter ?? backoffDelayMs(backoff, attempt), undefined, { signal });
        } catch {
          return SHUTDOWN;
        }
      }
    },
    async close() {
      const all = [...pools.values()];
      pools.clear();
      await Promise.all(all.map((pool) => pool.close()));
    },
  };
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    // Node's messages often start with their code already ("connect ECONNREFUSED …" does not).
    return typeof code === "string" && !error.message.includes(code)
      ? `${code} ${error.message}`
      : error.message;
  }
  return String(error);
}
