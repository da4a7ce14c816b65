/**
 * Throttles credential guessing on every surface that checks a secret
 * (webhook verifiers, channel tokens, the admin token).
 *
 * - Per client first: a client (address, IPv6 /64) with `clientFailures`
 *   failed authentications in a window is refused (429, `Retry-After`)
 *   until the window ends — before its credentials are even looked at, so
 *   a right guess cannot be told from a wrong one.
 * - Per scope (a webhook, a channel, the admin API), with a much higher
 *   threshold: once `scopeFailures` failures hit one scope in a window (a
 *   guess spread over many addresses), every client that fails there in
 *   that window is refused after its first failure. Clients that never
 *   failed are not affected, so an attacker cannot lock out a legitimate
 *   sender from another address.
 *
 * Counting happens only on failures (in Redis when configured, so every
 * replica counts together); the check before each authentication is a
 * lookup in this process's table of refused clients, O(1) and free of I/O
 * (nothing to look up at all while nobody is refused). A replica learns of
 * a client refused elsewhere at that client's next failure on it.
 *
 * Failures are reported aggregated: one `failures` event per scope per
 * `reportIntervalMs`, one `blocked` event when a client starts being refused.
 */
import type { AddressRange } from "../ip/address.js";
import { clientKey } from "./client-key.js";
import {
  createMemoryFailureCounts,
  createRedisFailureCounts,
  type FailureCountStore,
  type FailureCounts,
} from "./failure-counts.js";

/** Limits of the throttle. */
export interface AuthThrottleLimits {
  /** The window failures are counted in. @default 60000 */
  readonly windowMs: number;
  /** Failures of one client (any scope) in a window after which it is refused. @default 10 */
  readonly clientFailures: number;
  /** Failures on one scope (all clients) in a window after which its failing clients are refused. @default 100 */
  readonly scopeFailures: number;
  /** How often failures are reported (aggregated). @default 10000 */
  readonly reportIntervalMs: number;
}

/** Default limits. */
export const defaultAuthThrottleLimits: AuthThrottleLimits = {
  windowMs: 60_000,
  clientFailures: 10,
  scopeFailures: 100,
  reportIntervalMs: 10_000,
};

/** Most clients named in one `failures` report. */
const REPORTED_CLIENTS = 5;
/** Most refused clients remembered (expired ones are dropped first, then the oldest). */
const MAX_BLOCKS = 100_000;

/** Events of the throttle (never a credential). */
export type AuthThrottleEvent =
  | {
      /** Failures on one scope since the last report. */
      readonly type: "failures";
      readonly scope: string;
      readonly failures: number;
      /** Requests refused (429) without being checked. */
      readonly refused: number;
      /** The clients with the most failures, most first. */
      readonly clients: readonly { readonly client: string; readonly failures: number }[];
      /** Clients that failed but are not listed. */
      readonly otherClients: number;
      readonly intervalMs: number;
    }
  | {
      /** A client is refused from now on, until `retryAfterSeconds` passed. */
      readonly type: "blocked";
      readonly scope: string;
      readonly client: string;
      /** `client`: its own failures; `scope`: failures on the scope from many clients. */
      readonly reason: "client" | "scope";
      readonly retryAfterSeconds: number;
    }
  | {
      /** One request refused (for metrics; logs get the `failures` report). */
      readonly type: "refused";
      readonly scope: string;
    }
  | {
      /** The shared store failed; this replica counted alone. */
      readonly type: "store_error";
      readonly error: unknown;
    };

/** Options of createAuthThrottle. */
export interface AuthThrottleOptions {
  /** Limits. @default defaultAuthThrottleLimits */
  readonly limits?: Partial<AuthThrottleLimits>;
  /** Redis URL: counters shared by every replica on it. */
  readonly redisUrl?: string;
  /** Proxies whose `X-Forwarded-For` names the client. @default none */
  readonly trustedProxies?: readonly AddressRange[];
  /** Event sink. */
  readonly onEvent?: (event: AuthThrottleEvent) => void;
  /** @default Date.now */
  readonly now?: () => number;
}

/** The throttle. */
export interface AuthThrottle {
  /**
   * Seconds the client (TCP `peer`, and `forwardedFor` when the peer is a
   * trusted proxy) must wait before it may authenticate on `scope` again,
   * or undefined when it may now. O(1), no I/O, no allocation while
   * nobody is refused.
   */
  retryAfter(scope: string, peer: string, forwardedFor: string | undefined): number | undefined;
  /** Records a failed authentication; resolves once counted (refusals start with the next request). */
  failed(scope: string, peer: string, forwardedFor: string | undefined): Promise<void>;
  /** Stops the report timer and closes the store. */
  close(): Promise<void>;
}

interface Report {
  failures: number;
  refused: number;
  readonly clients: Map<string, number>;
}

/** Creates a throttle. */
export function createAuthThrottle(options: AuthThrottleOptions = {}): AuthThrottle {
  const limits = { ...defaultAuthThrottleLimits, ...options.limits };
  const now = options.now ?? Date.now;
  const trusted = options.trustedProxies ?? [];
  const local = createMemoryFailureCounts({ now });
  const store: FailureCountStore =
    options.redisUrl === undefined ? local : createRedisFailureCounts(options.redisUrl);
  const emit = options.onEvent ?? (() => undefined);
  /** Refused clients: `client` or `scope\0client` → until (ms since epoch). */
  const blocks = new Map<string, number>();
  const reports = new Map<string, Report>();
  let reportTimer: NodeJS.Timeout | undefined;
  let storeErrorReported = false;

  function reportOf(scope: string): Report {
    let report = reports.get(scope);
    if (report === undefined) {
      report = { failures: 0, refused: 0, clients: new Map() };
      reports.set(scope, report);
    }
    reportTimer ??= setTimeout(flushReports, limits.reportIntervalMs);
    reportTimer.unref?.();
    return report;
  }

  function flushReports(): void {
    reportTimer = undefined;
    storeErrorReported = false;
    for (const [scope, report] of reports) {
      const ranked = [...report.clients].sort((a, b) => b[1] - a[1]);
      emit({
        type: "failures",
        scope,
        failures: report.failures,
        refused: report.refused,
        clients: ranked
          .slice(0, REPORTED_CLIENTS)
          .map(([client, failures]) => ({ client, failures })),
        otherClients: Math.max(0, ranked.length - REPORTED_CLIENTS),
        intervalMs: limits.reportIntervalMs,
      });
    }
    reports.clear();
  }

  function block(key: string, untilMs: number): boolean {
    const existing = blocks.get(key);
    if (existing !== undefined && existing >= untilMs) return false;
    if (blocks.size >= MAX_BLOCKS) {
      const at = now();
      for (const [old, until] of blocks) if (until <= at) blocks.delete(old);
      for (const old of blocks.keys()) {
        if (blocks.size < MAX_BLOCKS) break;
        blocks.delete(old);
      }
    }
    blocks.set(key, untilMs);
    return existing === undefined || existing <= now();
  }

  async function count(client: string, scope: string): Promise<FailureCounts> {
    if (store === local) return local.record(client, scope, limits.windowMs);
    try {
      return await store.record(client, scope, limits.windowMs);
    } catch (error) {
      if (!storeErrorReported) emit({ type: "store_error", error });
      storeErrorReported = true;
      return local.record(client, scope, limits.windowMs);
    }
  }

  return {
    retryAfter(scope, peer, forwardedFor) {
      if (blocks.size === 0) return undefined;
      const client = clientKey(peer, forwardedFor, trusted);
      const at = now();
      let until = 0;
      for (const key of [client, `${scope}\0${client}`]) {
        const value = blocks.get(key);
        if (value === undefined) continue;
        if (value <= at) blocks.delete(key);
        else until = Math.max(until, value);
      }
      if (until === 0) return undefined;
      reportOf(scope).refused += 1;
      emit({ type: "refused", scope });
      return Math.max(1, Math.ceil((until - at) / 1000));
    },

    async failed(scope, peer, forwardedFor) {
      const client = clientKey(peer, forwardedFor, trusted);
      const report = reportOf(scope);
      report.failures += 1;
      if (report.clients.has(client) || report.clients.size < 10_000) {
        report.clients.set(client, (report.clients.get(client) ?? 0) + 1);
      }
      const counts = await count(client, scope);
      const at = now();
      if (counts.client.count >= limits.clientFailures) {
        const until = at + counts.client.resetInMs;
        if (block(client, until)) {
          emit({
            type: "blocked",
            scope,
            client,
            reason: "client",
            retryAfterSeconds: Math.max(1, Math.ceil(counts.client.resetInMs / 1000)),
          });
        }
      } else if (counts.scope.count >= limits.scopeFailures) {
        const until = at + counts.scope.resetInMs;
        if (block(`${scope}\0${client}`, until)) {
          emit({
            type: "blocked",
            scope,
            client,
            reason: "scope",
            retryAfterSeconds: Math.max(1, Math.ceil(counts.scope.resetInMs / 1000)),
          });
        }
      }
    },

    async close() {
      clearTimeout(reportTimer);
      reportTimer = undefined;
      await store.close();
      if (store !== local) await local.close();
    },
  };
}
