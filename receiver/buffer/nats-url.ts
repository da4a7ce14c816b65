/**
 * `nats://h1:4222,h2:4222,h3:4222?replicas=3`: the servers of one NATS
 * cluster (the first names the scheme, the others may omit it) and the
 * options after the last server. `replicas` is the number of copies of
 * every stream and KV bucket the buffer creates, 1 to 5 (JetStream's limit).
 */
import { ConfigError } from "../../config-file/index.js";

/** Stream replicas when the URL does not say. */
export const DEFAULT_REPLICAS = 1;
/** JetStream keeps at most five copies of a stream. */
export const MAX_REPLICAS = 5;

/** A parsed `nats://` buffer URL. */
export interface NatsTarget {
  readonly kind: "nats";
  /** Server URLs, without the options. */
  readonly servers: string[];
  /** Copies of each stream and KV bucket. @default 1 */
  readonly replicas: number;
}

/** true when `url` names the JetStream buffer. */
export function isNatsUrl(url: string): boolean {
  return /^(nats|tls):\/\//i.test(url);
}

/** Parses a `nats://` or `tls://` buffer URL; throws ConfigError naming `source`. */
export function parseNatsUrl(url: string, source: string): NatsTarget {
  const mark = url.indexOf("?");
  const list = mark === -1 ? url : url.slice(0, mark);
  const servers = list.split(",").map((server) => server.trim());
  for (const server of servers) {
    let host = "";
    try {
      host = new URL(server.includes("://") ? server : `nats://${server}`).hostname;
    } catch {
      // Reported below.
    }
    if (host === "") {
      throw new ConfigError(
        source,
        "",
        `'${server}' in '${url}' is not a NATS server (expected nats://host:port, several comma-separated)`,
      );
    }
  }
  let replicas = DEFAULT_REPLICAS;
  if (mark !== -1) {
    for (const [key, value] of new URLSearchParams(url.slice(mark + 1))) {
      if (key !== "replicas") {
        throw new ConfigError(source, key, "unknown nats:// URL option (expected replicas)");
      }
      replicas = Number(value);
      if (!/^\d+$/.test(value.trim()) || replicas < 1 || replicas > MAX_REPLICAS) {
        throw new ConfigError(
          source,
          key,
          `expected a whole number of stream copies from 1 to ${MAX_REPLICAS}, got '${value}'`,
        );
      }
    }
  }
  return { kind: "nats", servers, replicas };
}
