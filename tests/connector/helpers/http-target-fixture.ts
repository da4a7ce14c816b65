/**
 * Shared set-up of the HTTP target delivery tests: a recording target
 * server and an HTTP-mode deliverer pointing at it, both closed after
 * each test.
 */
import type { ServerResponse } from "node:http";
import { afterEach } from "vitest";
import type { TargetConfig } from "../../../connector/config/schema.js";
import type { Deliverer } from "../../../connector/delivery/deliverer.js";
import {
  createHttpTargetDeliverer,
  type HttpTargetDelivererOptions,
} from "../../../connector/delivery/http-target.js";
import { startTargetServer, type TargetServer } from "./target-server.js";

/** A target config with fast test defaults (no retry delay). */
export function target(url: string, overrides: Partial<TargetConfig> = {}): TargetConfig {
  return {
    url,
    headers: {},
    timeout_seconds: 5,
    retry_enabled: true,
    retry_max_attempts: 3,
    retry_delay_seconds: 0,
    retry_backoff_multiplier: 2,
    forward_query: true,
    forwarded_headers: true,
    ...overrides,
  };
}

const cleanups: (() => Promise<void>)[] = [];

/** Closes `cleanups` (in reverse order) after the current test. */
export function track(...more: (() => Promise<void>)[]): void {
  cleanups.push(...more);
}

/** Registers the per-test clean-up; call once at the top of a test file. */
export function closeAfterEach(): void {
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
}

/**
 * Starts a target with `handler` and a deliverer to `/hooks?src=relay` on
 * it; `options` are further deliverer options (e.g. an injected `random`).
 */
export async function setup(
  handler: Parameters<typeof startTargetServer>[0],
  overrides: Partial<TargetConfig> = {},
  options: Omit<HttpTargetDelivererOptions, "defaultTarget"> = {},
): Promise<{ server: TargetServer; deliverer: Deliverer }> {
  const server = await startTargetServer(handler);
  const deliverer = createHttpTargetDeliverer({
    ...options,
    defaultTarget: target(`${server.url}/hooks?src=relay`, overrides),
  });
  cleanups.push(
    () => server.close(),
    () => deliverer.close(),
  );
  return { server, deliverer };
}

/** A signal that never aborts. */
export const never = new AbortController().signal;

/** A handler answering `status` with `headers` and a short body. */
export function answer(status: number, headers: Record<string, string> = {}) {
  return (_req: unknown, res: ServerResponse) => {
    res.writeHead(status, headers).end("body");
  };
}
