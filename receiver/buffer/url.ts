/**
 * Buffer URLs (SPEC §2): `sqlite:PATH` (embedded default), `nats://host:port`
 * (JetStream, see nats-url.ts), `redis://host:port/db`, `amqp://user:pass@host:port`.
 */
import { ConfigError } from "../../config-file/index.js";
import { isNatsUrl, type NatsTarget, parseNatsUrl } from "./nats-url.js";

/** The embedded default. */
export const DEFAULT_BUFFER_URL = "sqlite:./data/buffer.db";

/** A parsed buffer URL. */
export type BufferTarget =
  | {
      readonly kind: "sqlite";
      readonly path: string;
      /** `max_buffer_bytes`: most bytes the file and its WAL may take. */
      readonly maxBufferBytes?: number;
      /** `min_free_bytes`: disk space kept free for leases, acks and dead letters. */
      readonly minFreeBytes?: number;
      /** `thread`: where the storage engine runs (`main` or `worker`). */
      readonly thread?: "main" | "worker";
    }
  | NatsTarget
  | { readonly kind: "redis"; readonly url: string }
  | {
      readonly kind: "rabbitmq";
      /** The URL for the client, without our own options. */
      readonly url: string;
      /** `queue_type`: group and retry queues; classic where quorum queues are unavailable. */
      readonly queueType: "quorum" | "classic";
    };

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
  if (url.startsWith("sqlite:")) return parseSqliteUrl(url, source);
  if (isNatsUrl(url)) return parseNatsUrl(url, source);
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
    case "redis:":
    case "rediss:":
      return { kind: "redis", url };
    case "amqp:":
    case "amqps:":
      return parseAmqpUrl(parsed, source);
    default:
      throw new ConfigError(
        source,
        "",
        `unsupported buffer URL scheme '${parsed.protocol}' (expected sqlite:, nats://, redis:// or amqp://)`,
      );
  }
}

const SIZE = /^(\d+)\s*(|b|k|kb|kib|m|mb|mib|g|gb|gib)$/i;
const UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  k: 1024,
  kb: 1000,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1000 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1000 ** 3,
  gib: 1024 ** 3,
};

/** A byte size: digits with an optional unit (`512MiB`, `2GB`, `1g`). */
function parseSize(value: string, source: string, key: string): number {
  const match = SIZE.exec(value.trim());
  const bytes = match === null ? Number.NaN : Number(match[1]) * UNITS[match[2]!.toLowerCase()]!;
  if (!Number.isSafeInteger(bytes)) {
    throw new ConfigError(
      source,
      key,
      `expected a byte size such as 1073741824 or 512MiB, got '${value}'`,
    );
  }
  return bytes;
}

/**
 * `sqlite:PATH` with optional `?max_buffer_bytes=SIZE&min_free_bytes=SIZE`
 * (limits that refuse new messages before the disk is full) and
 * `thread=main|worker` (where the storage engine runs).
 */
function parseSqliteUrl(url: string, source: string): BufferTarget {
  const rest = url.slice("sqlite:".length).replace(/^\/\/(?=\/)/, "");
  const mark = rest.indexOf("?");
  const path = mark === -1 ? rest : rest.slice(0, mark);
  if (path === "") throw new ConfigError(source, "", "sqlite: URL needs a file path");
  const options: { maxBufferBytes?: number; minFreeBytes?: number; thread?: "main" | "worker" } =
    {};
  if (mark !== -1) {
    for (const [key, value] of new URLSearchParams(rest.slice(mark + 1))) {
      if (key === "max_buffer_bytes") options.maxBufferBytes = parseSize(value, source, key);
      else if (key === "min_free_bytes") options.minFreeBytes = parseSize(value, source, key);
      else if (key === "thread") {
        if (value !== "main" && value !== "worker") {
          throw new ConfigError(source, key, `expected main or worker, got '${value}'`);
        }
        options.thread = value;
      } else {
        throw new ConfigError(
          source,
          key,
          "unknown sqlite: URL option (expected max_buffer_bytes, min_free_bytes or thread)",
        );
      }
    }
  }
  return { kind: "sqlite", path, ...options };
}

/**
 * `amqp://user:pass@host:port/vhost` (`amqps://` for TLS) with an optional
 * `queue_type=quorum|classic`; the client's own options (`heartbeat`,
 * `frameMax`, …) pass through.
 */
function parseAmqpUrl(parsed: URL, source: string): BufferTarget {
  if (parsed.hostname === "") {
    throw new ConfigError(
      source,
      "",
      "amqp:// URL needs a host (amqp://user:pass@host:5672/vhost)",
    );
  }
  let queueType: "quorum" | "classic" = "quorum";
  const value = parsed.searchParams.get("queue_type");
  if (value !== null) {
    if (value !== "quorum" && value !== "classic") {
      throw new ConfigError(source, "queue_type", `expected quorum or classic, got '${value}'`);
    }
    queueType = value;
    parsed.searchParams.delete("queue_type");
  }
  return { kind: "rabbitmq", url: parsed.toString(), queueType };
}
