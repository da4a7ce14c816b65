/**
 * Schema of connector.json (SPEC §8). Every default is declared here and
 * documented with `@default`. The parsed result is frozen by the loader.
 */
import { hostname } from "node:os";
import { z } from "zod";
import { parseProxyUrl } from "../transport/index.js";

/** Webhook ids and channel names (SPEC §3.1). */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const nameSchema = z
  .string()
  .regex(NAME, "expected 1-64 of A-Z a-z 0-9 . _ - starting with a letter or digit")
  .refine((value) => !value.includes(".."), "must not contain '..'");

/** Streaming protocols a connector may ask for, in the order `auto` tries them. */
export const protocols = ["grpc", "connect", "websocket", "sse", "long_poll"] as const;

/** A concrete streaming protocol. */
export type StreamProtocol = (typeof protocols)[number];

/** Levels accepted by `log_level` (pino's). */
export const logLevels = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

/** Values of `log_format`. */
export const logFormats = ["auto", "pretty", "json"] as const;

/** One HTTP-mode target. */
export const targetSchema = z.strictObject({
  /** Where the message is sent, exactly as configured (path and query included). */
  url: z.url({ protocol: /^https?$/, error: "expected an http:// or https:// URL" }),
  /** Method of the delivery. @default the original request's method */
  method: z
    .string()
    .regex(/^[A-Za-z]+$/, "expected an HTTP method such as POST")
    .transform((m) => m.toUpperCase())
    .optional(),
  /** Extra headers added to (and replacing same-named) original headers. @default {} */
  headers: z.record(z.string().min(1), z.string()).default({}),
  /** Time limit of each attempt, in seconds. @default 30 */
  timeout_seconds: z.number().positive().default(30),
  /**
   * Retry 3xx/408/429/5xx/timeouts/network errors locally before nacking,
   * waiting as Retry-After says when the target sends one. @default true
   */
  retry_enabled: z.boolean().default(true),
  /** Total attempts per delivery when retries are enabled. @default 3 */
  retry_max_attempts: z.number().int().min(1).max(100).default(3),
  /**
   * Delay before the first local retry, in seconds; each wait is spread by
   * ±20 % (jitter) and capped at 30 s. @default 1
   */
  retry_delay_seconds: z.number().min(0).default(1),
  /** Factor applied to the delay after each retry. @default 2 */
  retry_backoff_multiplier: z.number().min(1).default(2),
  /**
   * Append the original query string to `url` (after `?`, or after `&`
   * when `url` has a query of its own). @default true
   */
  forward_query: z.boolean().default(true),
  /**
   * Send `X-Forwarded-For` (the sender's address as the receiver saw it)
   * and `X-Forwarded-Proto`, replacing any the sender sent. @default true
   */
  forwarded_headers: z.boolean().default(true),
});

/** A parsed HTTP-mode target. */
export type TargetConfig = z.output<typeof targetSchema>;

const positiveSeconds = z.number().positive();

/** The whole connector.json. */
export const connectorConfigSchema = z
  .strictObject({
    /** Base URL of the receiver (`https://relay.example.com`). Required. */
    cloud_url: z.url({
      protocol: /^(https?|wss?)$/,
      error: "expected an http(s):// or ws(s):// URL",
    }),
    /** Channel to consume. Required. */
    channel: nameSchema,
    /** Channel token, sent as `Authorization: Bearer …`. Required. */
    token: z.string().min(1, "must not be empty"),
    /** Streaming protocol; `auto` tries them in the order of `protocols`. @default "auto" */
    protocol: z.enum(["auto", ...protocols]).default("auto"),
    /** Name of this connector, shown in the admin API. @default the host name */
    connector_id: z
      .string()
      .min(1)
      .max(128)
      .default(() => hostname()),
    /** Fan-out group; empty is the channel's default group. @default "" */
    group: z.union([z.literal(""), nameSchema]).default(""),
    /** Most deliveries at once (also asked of the server as max_in_flight). @default 10 */
    max_concurrent_requests: z.number().int().min(1).max(10_000).default(10),
    /** First reconnect delay, in seconds. @default 1 */
    reconnect_delay: z.number().min(0).default(1),
    /** Longest reconnect delay, in seconds. @default 60 */
    max_reconnect_delay: positiveSeconds.default(60),
    /** Factor applied to the reconnect delay after each failed attempt. @default 2 */
    reconnect_backoff_multiplier: z.number().min(1).default(2),
    /**
     * Drop a server silent for this long, in seconds.
     * @default 3 × the heartbeat interval announced by the server
     */
    heartbeat_timeout: positiveSeconds.optional(),
    /** How long in-flight deliveries may finish on shutdown, in seconds. @default 30 */
    shutdown_grace_seconds: z.number().min(0).default(30),
    /** Verify the receiver's TLS certificate. @default true */
    verify_ssl: z.boolean().default(true),
    /** PEM file of the CAs trusted for the receiver; replaces Node's default CA list. */
    ca_cert_path: z.string().min(1).optional(),
    /** PEM client certificate for mutual TLS; needs `client_key_path`. */
    client_cert_path: z.string().min(1).optional(),
    /** PEM client key for mutual TLS; needs `client_cert_path`. */
    client_key_path: z.string().min(1).optional(),
    /**
     * Forward proxy for every connection to the receiver
     * (`http://[user:password@]host:port`); overrides HTTPS_PROXY / HTTP_PROXY.
     * @default the HTTPS_PROXY or HTTP_PROXY variable for cloud_url's scheme, else none
     */
    proxy_url: z
      .string()
      .min(1)
      .superRefine((value, ctx) => {
        const parsed = parseProxyUrl(value);
        if ("problem" in parsed) ctx.addIssue({ code: "custom", message: parsed.problem });
      })
      .optional(),
    /**
     * Receiver hosts reached without the proxy: host names (suffix match),
     * IPs, CIDR ranges, `*`; comma-separated. Overrides NO_PROXY.
     * @default the NO_PROXY variable
     */
    no_proxy: z.string().optional(),
    /** Log level of the CLI. @default "info" */
    log_level: z.enum(logLevels).default("info"),
    /**
     * `pretty`: one coloured line per delivery, for a person at a terminal;
     * `json`: JSON lines (pino); `auto`: pretty when stdout is a terminal.
     * @default "auto"
     */
    log_format: z.enum(logFormats).default("auto"),
    /** Serve Prometheus metrics on this port (`GET /metrics`); none when unset. */
    metrics_port: z.number().int().min(0).max(65_535).optional(),
    /** Interface of the metrics server. @default "127.0.0.1" */
    metrics_host: z.string().min(1).default("127.0.0.1"),
    /**
     * Where the local inspector listens (`HOST:PORT`; a taken port moves
     * to the next free one), or `off`. @default "127.0.0.1:4040"
     */
    inspect: z
      .string()
      .regex(
        /^(off|(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5})$/,
        "expected HOST:PORT (e.g. 127.0.0.1:4040) or off",
      )
      .default("127.0.0.1:4040"),
    /** Allow the inspector on a non-loopback address (it shows bodies and can replay). @default false */
    inspect_allow_remote: z.boolean().default(false),
    /** Most deliveries the inspector's history keeps. @default 5000 */
    inspect_max_deliveries: z.number().int().min(1).default(5000),
    /** Most bytes (bodies and headers) the inspector's history keeps. @default 104857600 (100 MiB) */
    inspect_max_bytes: z.number().int().min(1).default(104_857_600),
    /**
     * Folder of the connector's local state (the inspector's history).
     * @default $XDG_STATE_HOME/webhook-connect, else ~/.local/state/webhook-connect
     */
    state_dir: z.string().min(1).optional(),
    /** HTTP mode: target of webhooks without an entry in `targets`. */
    default_target: targetSchema.optional(),
    /** HTTP mode: targets by webhook id. */
    targets: z.record(nameSchema, targetSchema).optional(),
    /** Module mode: path of the webhooks.json to dispatch with. */
    webhooks_config: z.string().min(1).optional(),
    /** Module mode: path of the connections.json the modules use. */
    connections_config: z.string().min(1).optional(),
  })
  .superRefine((config, ctx) => {
    const http = config.default_target !== undefined || config.targets !== undefined;
    const module = config.webhooks_config !== undefined;
    if (http && module) {
      ctx.addIssue({
        code: "custom",
        path: ["webhooks_config"],
        message:
          "choose one delivery mode: HTTP mode (default_target/targets) or module mode (webhooks_config), not both",
      });
    } else if (!http && !module) {
      ctx.addIssue({
        code: "custom",
        path: [],
        message:
          "no delivery mode: give --forward-to HOST:PORT/PATH (or set default_target.url or targets) for HTTP mode, or webhooks_config for module mode",
      });
    }
    if (config.connections_config !== undefined && !module) {
      ctx.addIssue({
        code: "custom",
        path: ["connections_config"],
        message: "only valid in module mode (with webhooks_config)",
      });
    }
    if ((config.client_cert_path === undefined) !== (config.client_key_path === undefined)) {
      ctx.addIssue({
        code: "custom",
        path: [config.client_cert_path === undefined ? "client_cert_path" : "client_key_path"],
        message: "client_cert_path and client_key_path must be set together",
      });
    }
    if (config.max_reconnect_delay < config.reconnect_delay) {
      ctx.addIssue({
        code: "custom",
        path: ["max_reconnect_delay"],
        message: `must be at least reconnect_delay (${config.reconnect_delay})`,
      });
    }
  });

/** A parsed, validated connector configuration. */
export type ConnectorConfig = Readonly<z.output<typeof connectorConfigSchema>>;

/** Which delivery mode a configuration selects. */
export function deliveryModeOf(config: ConnectorConfig): "http" | "module" {
  return config.webhooks_config === undefined ? "http" : "module";
}
