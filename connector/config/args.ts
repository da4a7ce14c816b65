/**
 * Command-line flags of `webhook-connect connector`, parsed with
 * node:util parseArgs. Every settable key has a string-valued flag; a flag
 * counts only when it was given.
 */
import { parseArgs } from "node:util";
import { ConfigError } from "../../config-file/index.js";
import { type ConfigOption, configOptions } from "./options.js";

/** Parsed flags. */
export interface ConnectorArgs {
  /** `--config` / `-c`, when given. */
  readonly config: string | undefined;
  /** `--help` / `-h` was given. */
  readonly help: boolean;
  /** `--version` was given. */
  readonly version: boolean;
  /** Values of the given config flags, by flag name without `--`. */
  readonly values: ReadonlyMap<string, string>;
}

const parseOptions = {
  config: { type: "string", short: "c" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean" },
  ...Object.fromEntries(configOptions.map((o) => [o.flag, { type: "string" }])),
} as const satisfies Record<string, { type: "string" | "boolean"; short?: string }>;

/** Parses argv; unknown flags, missing values and positionals are ConfigErrors. */
export function parseConnectorArgs(argv: readonly string[]): ConnectorArgs {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof parseOptions; strict: true }>>;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: parseOptions,
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    throw new ConfigError("command line", "", firstLine((error as Error).message), {
      cause: error,
    });
  }
  const values = new Map<string, string>();
  for (const option of configOptions) {
    const value = (parsed.values as Record<string, unknown>)[option.flag];
    if (typeof value === "string") values.set(option.flag, value);
  }
  const config = parsed.values.config;
  return {
    config: typeof config === "string" ? config : undefined,
    help: parsed.values.help === true,
    version: parsed.values.version === true,
    values,
  };
}

function firstLine(message: string): string {
  return message.split("\n")[0] ?? message;
}

/** Placeholders of flag values that say more than their kind. */
const placeholders: Record<string, string> = {
  "cloud-url": "URL",
  channel: "NAME",
  token: "TOKEN",
  protocol: "auto|grpc|connect|websocket|sse|long_poll",
  "connector-id": "NAME",
  group: "NAME",
  "log-level": "fatal|error|warn|info|debug|trace|silent",
  "log-format": "auto|pretty|json",
  "metrics-host": "HOST",
  "target-url": "URL",
  "target-method": "METHOD",
  "heartbeat-timeout": "SECONDS",
  inspect: "HOST:PORT|off",
  "state-dir": "DIR",
};

function placeholderOf(option: ConfigOption): string {
  if (option.placeholder !== undefined) return option.placeholder;
  const named = placeholders[option.flag];
  if (named !== undefined) return named;
  if (option.flag.endsWith("-path") || option.flag.endsWith("-config")) return "FILE";
  if (option.flag.includes("seconds") || option.flag.endsWith("-delay")) return "SECONDS";
  switch (option.kind) {
    case "integer":
    case "number":
      return "N";
    case "boolean":
      return "true|false";
    case "json":
      return "JSON";
    default:
      return "VALUE";
  }
}

/** Usage text of `webhook-connect connector --help`. */
export function connectorUsage(): string {
  const lines = [
    "Usage: webhook-connect connector [--config FILE] [flags]",
    "",
    "Streams a channel's webhooks from a receiver to a local app (HTTP mode) or to output",
    "modules, acknowledging each one only after it was delivered.",
    "",
    "Examples:",
    "  webhook-connect connector --cloud-url https://relay.example.com --channel demo \\",
    "    --token $TOKEN --forward-to localhost:3000/webhooks",
    "  webhook-connect connector --config connector.json --log-format json",
    "",
    "Precedence: a flag given > a CONNECTOR_* env var set > the config file > the default.",
    "Without --config, ./connector.json is read when it exists.",
    "",
    `  ${"-c, --config FILE".padEnd(50)} connector.json (env CONNECTOR_CONFIG)`,
    `  ${"-h, --help".padEnd(50)} print this help`,
    `  ${"    --version".padEnd(50)} print the version`,
  ];
  for (const option of configOptions) {
    const flag = `    --${option.flag} ${placeholderOf(option)}`;
    const what = option.path.join(".");
    lines.push(`${flag.padEnd(52)} ${what} (env ${option.env[0]})`);
  }
  return `${lines.join("\n")}\n`;
}
