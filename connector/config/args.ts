/**
 * Command-line flags of `webhook-connect connector`, parsed with
 * node:util parseArgs. Every settable key has a string-valued flag; a flag
 * counts only when it was given.
 */
import { parseArgs } from "node:util";
import { ConfigError } from "../../receiver/config/config-error.js";
import { configOptions } from "./options.js";

/** Parsed flags. */
export interface ConnectorArgs {
  /** `--config` / `-c`, when given. */
  readonly config: string | undefined;
  /** `--help` / `-h` was given. */
  readonly help: boolean;
  /** Values of the given config flags, by flag name without `--`. */
  readonly values: ReadonlyMap<string, string>;
}

const parseOptions = {
  config: { type: "string", short: "c" },
  help: { type: "boolean", short: "h" },
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
    values,
  };
}

function firstLine(message: string): string {
  return message.split("\n")[0] ?? message;
}

/** Usage text of `webhook-connect connector --help`. */
export function connectorUsage(): string {
  const lines = [
    "Usage: webhook-connect connector [--config connector.json] [flags]",
    "",
    "Precedence: a flag given > a CONNECTOR_* env var set > the config file > the default.",
    "",
    "  -c, --config FILE   connector.json (env CONNECTOR_CONFIG)",
    "  -h, --help          print this help",
  ];
  for (const option of configOptions) {
    lines.push(`      --${option.flag.padEnd(32)} ${option.path.join(".")} (env ${option.env[0]})`);
  }
  return `${lines.join("\n")}\n`;
}
