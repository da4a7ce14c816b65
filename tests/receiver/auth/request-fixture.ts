/**
 * Builds IngestRequest fixtures for verifier tests.
 */
import type { IngestRequest, VerifierFactoryOptions } from "../../../receiver/auth/verifier.js";

/** Fixed test clock: 2024-05-01T12:00:00Z. */
export const NOW_MS = Date.UTC(2024, 4, 1, 12, 0, 0);
/** The fixed clock in Unix seconds. */
export const NOW_S = Math.floor(NOW_MS / 1000);

/** Factory options with the fixed clock. */
export function testOptions(extra: Partial<VerifierFactoryOptions> = {}): VerifierFactoryOptions {
  return { configPath: "webhooks.json", now: () => NOW_MS, ...extra };
}

/** An ingest request; headers are given with any case and stored lower-cased. */
export function ingestRequest(
  init: {
    method?: string;
    path?: string;
    query?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
    remoteAddress?: string;
    origin?: string;
  } = {},
): IngestRequest {
  const headers: Record<string, string> = {};
  const rawHeaders: string[] = [];
  for (const [name, value] of Object.entries(init.headers ?? {})) {
    headers[name.toLowerCase()] = value;
    rawHeaders.push(name, value);
  }
  const body = init.body ?? "";
  return {
    method: init.method ?? "POST",
    path: init.path ?? "/webhook/test",
    query: init.query ?? "",
    headers,
    rawHeaders,
    body: typeof body === "string" ? Buffer.from(body, "utf8") : body,
    remoteAddress: init.remoteAddress ?? "203.0.113.7",
    origin: init.origin ?? "https://relay.example.com",
    receivedAt: NOW_MS,
  };
}
