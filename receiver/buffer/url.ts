/**
 * Buffer URLs (SPEC §2): `sqlite:PATH` (embedded default), `nats://host:port`
 * (JetStream), `redis://host:port/db`, `amqp://user:pass@host:port`.
 */
import { ConfigError } from "../config/config-error.js";

/** The embedded default. */
export const DEFAULT_BUFFER_URL = "sqlite:./data/buffer.db";

/** A parsed buffer URL. */
export type BufferTarget =
  | { readonly kind: "sqlite"; readonly path: string }
  | { readonly kind: "nats"; readonly servers: string[] }
  | { readonly kind: "redis"; readonly url: string }
  | { readonly kind: "rabbitmq"; readonly url: string };

/**
 * Picks the buffer URL: the flag, else WEBHOOK_CONNECT_BUFFER_URL, else the
 * older per-backend variables, else the embedded default.
 */
export function resolveBufferUrl(
  flag: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): { url: string; source: string } {
  if (flag !== undefined) return { url: flag, source: "--buffer" };
  for (const name of [
    "WEBHOOK_CONNECT_BUFFER_URL",
    "WEBHOOK_CONNECT_NATS_URL",
    "WEBHOOK_CONNECT_REDIS_URL",
    "WEBHOOK_CONNECT_RABBITMQ_URL",
  ]) {
    const value = env[name];
    if (value !== undefined && value !== "") return { url: value, source: name };
  }
  return { url: DEFAULT_BUFFER_URL, source: "default" };
}

/** Parses a buffer URL; throws ConfigError naming the source for a bad one. */
export function parseBufferUrl(url: string, source: string): BufferTarget {
  if (url.startsWith("sqlite:")) {
    const path = url.slice("sqlite:".length).replace(/^\/\/(?=\/)/, "");
    if (path === "") throw new ConfigError(source, "", "sqlite: URL needs a file path");
    return { kind: "sqlite", path };
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(
      source,
      "",
      `'${url}' is not a buffer URL (expected sqlite:PATH, nats://host:port, redis://host:port/db or amqp://user:pass@host:port)`,
    );
  }
  switch (parsed.protocol) {
    case "nats:":
    case "tls:":
      return {
        kind: "nats",
        servers: url.split(",").map((server) => server.trim()),
      };
    case "redis:":
    case "rediss:":
      return { kind: "redis", url };
    case "amqp:":
    case "amqps:":
      return { kind: "rabbitmq", url };
    default:
      throw new ConfigError(
        source,
        "",
        `unsupported buffer URL scheme '${parsed.protocol}' (expected sqlite:, nats://, redis:// or amqp://)`,
      );
  }
}
