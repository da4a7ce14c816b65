/**
 * The table behind `CONNECTOR_*` environment variables and command-line
 * flags: one row per settable key, with how a string becomes its value.
 */

/** How a string from env or argv becomes a config value. */
export type OptionKind = "string" | "integer" | "number" | "boolean" | "json" | "target";

/** One key settable from env and flags. */
export interface ConfigOption {
  /** Key path in connector.json, e.g. `["default_target", "url"]`. */
  readonly path: readonly string[];
  /** Environment variable names, first one preferred. */
  readonly env: readonly string[];
  /** Flag name without the leading `--`. */
  readonly flag: string;
  /** Conversion of the string value. */
  readonly kind: OptionKind;
  /** Placeholder of the value in --help. @default derived from `kind` */
  readonly placeholder?: string;
}

function top(key: string, kind: OptionKind, env?: readonly string[]): ConfigOption {
  return {
    path: [key],
    env: env ?? [`CONNECTOR_${key.toUpperCase()}`],
    flag: key.replaceAll("_", "-"),
    kind,
  };
}

function target(key: string, kind: OptionKind): ConfigOption {
  return {
    path: ["default_target", key],
    env: [`CONNECTOR_TARGET_${key.toUpperCase()}`],
    flag: `target-${key.replaceAll("_", "-")}`,
    kind,
  };
}

/** Every key that env vars and flags can set. */
export const configOptions: readonly ConfigOption[] = [
  top("cloud_url", "string"),
  top("channel", "string"),
  top("token", "string"),
  top("protocol", "string"),
  top("connector_id", "string", ["CONNECTOR_ID", "CONNECTOR_CONNECTOR_ID"]),
  top("group", "string"),
  top("max_concurrent_requests", "integer"),
  top("reconnect_delay", "number"),
  top("max_reconnect_delay", "number"),
  top("reconnect_backoff_multiplier", "number"),
  top("heartbeat_timeout", "number"),
  top("shutdown_grace_seconds", "number"),
  top("verify_ssl", "boolean"),
  top("ca_cert_path", "string"),
  top("client_cert_path", "string"),
  top("client_key_path", "string"),
  { path: ["proxy_url"], env: ["CONNECTOR_PROXY_URL"], flag: "proxy", kind: "string" },
  top("no_proxy", "string"),
  top("log_level", "string"),
  top("log_format", "string"),
  top("metrics_port", "integer"),
  top("metrics_host", "string"),
  top("inspect", "string"),
  top("inspect_allow_remote", "boolean"),
  top("inspect_max_deliveries", "integer"),
  top("inspect_max_bytes", "integer"),
  top("state_dir", "string"),
  top("webhooks_config", "string"),
  top("connections_config", "string"),
  top("targets", "json"),
  {
    path: ["default_target", "url"],
    env: ["CONNECTOR_FORWARD_TO"],
    flag: "forward-to",
    kind: "target",
    placeholder: "[http://]HOST:PORT/PATH",
  },
  target("url", "string"),
  target("method", "string"),
  target("headers", "json"),
  target("timeout_seconds", "number"),
  target("retry_enabled", "boolean"),
  target("retry_max_attempts", "integer"),
  target("retry_delay_seconds", "number"),
  target("retry_backoff_multiplier", "number"),
  target("forward_query", "boolean"),
  target("forwarded_headers", "boolean"),
];

/** Keys holding file paths: relative values from a file resolve against its folder. */
export const pathKeys = [
  "ca_cert_path",
  "client_cert_path",
  "client_key_path",
  "state_dir",
  "webhooks_config",
  "connections_config",
] as const;

const TRUE = new Set(["true", "1", "yes", "on"]);
const FALSE = new Set(["false", "0", "no", "off"]);

/**
 * Converts a string to the option's kind. Returns `{ problem }` when it
 * cannot; the caller names the source.
 */
export function convertOptionValue(
  kind: OptionKind,
  raw: string,
): { readonly value: unknown } | { readonly problem: string } {
  switch (kind) {
    case "string":
      return { value: raw };
    case "integer":
    case "number": {
      const trimmed = raw.trim();
      const value = Number(trimmed);
      if (trimmed === "" || !Number.isFinite(value)) {
        return { problem: `expected a number, got '${raw}'` };
      }
      if (kind === "integer" && !Number.isInteger(value)) {
        return { problem: `expected an integer, got '${raw}'` };
      }
      return { value };
    }
    case "boolean": {
      const lower = raw.trim().toLowerCase();
      if (TRUE.has(lower)) return { value: true };
      if (FALSE.has(lower)) return { value: false };
      return { problem: `expected true or false, got '${raw}'` };
    }
    case "target":
      return { value: targetUrlOf(raw) };
    case "json":
      try {
        return { value: JSON.parse(raw) as unknown };
      } catch (error) {
        return { problem: `expected JSON: ${(error as Error).message}` };
      }
  }
}

/**
 * `--forward-to` as users type it: `localhost:3000/webhooks` (no scheme:
 * http), a bare port (`3000`, `3000/webhooks`: localhost), or a full
 * http(s) URL. Anything
 * else is passed on unchanged for the schema to reject with its message.
 */
export function targetUrlOf(raw: string): string {
  const text = raw.trim();
  // A bare port, alone or with a path: a numeric "host" is never meant (it would parse as an IPv4 address).
  if (/^\d{1,5}(\/|$)/.test(text)) return `http://localhost:${text}`;
  if (/^:\d{1,5}(\/|$)/.test(text)) return `http://localhost${text}`;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) return text;
  return `http://${text}`;
}
