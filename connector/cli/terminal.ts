/**
 * What the connector prints. `json`: pino JSON lines, one record per
 * event (deliveries at debug). `pretty`: a start-up banner saying where
 * messages go, one coloured line per delivery, a summary each second
 * while a backlog drains, and the other records as readable lines.
 */
import { type Logger, pino } from "pino";
import type { ConnectorEvent } from "../runner/index.js";
import { colorsWanted, type Palette, paletteFor } from "./ansi.js";
import { logConnectorEvent } from "./log-events.js";
import { deliveryLine, logRecordLine, summaryLine } from "./pretty-lines.js";
import { createRemainingCount } from "./remaining.js";

/** Options of createConnectorTerminal. */
export interface ConnectorTerminalOptions {
  /** `log_format` from the configuration. */
  readonly format: "auto" | "pretty" | "json";
  /** `log_level` from the configuration. */
  readonly level: string;
  /** Where lines go. */
  readonly stdout: NodeJS.WritableStream & { readonly isTTY?: boolean };
  /** Environment (NO_COLOR, FORCE_COLOR). */
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** What the start-up line says. */
export interface StartInfo {
  readonly version: string;
  readonly cloudUrl: string;
  readonly channel: string;
  readonly group: string;
  readonly protocol: string;
  /** The forward proxy to the receiver (`http://host:port`, never its credentials) or `none`. */
  readonly proxy: string;
  readonly connectorId: string;
  /** Where messages go: target URLs by webhook id (`*` for the default), or the modules config. */
  readonly destinations: readonly { readonly webhook: string; readonly to: string }[];
  readonly mode: "http" | "module";
  readonly maxConcurrentRequests: number;
  readonly configFile: string | undefined;
  /** URL of the local inspector, when it runs. */
  readonly inspector?: string | undefined;
  /** Its history file. */
  readonly historyFile?: string | undefined;
}

/** The connector's output. */
export interface ConnectorTerminal {
  /** Logger of everything that is not a runner event. */
  readonly logger: Logger;
  /** True when lines are for a person (`pretty`). */
  readonly pretty: boolean;
  /** Reports the start. */
  starting(info: StartInfo): void;
  /** Reports a runner event. */
  event(event: ConnectorEvent): void;
  /**
   * Prints a summary each second in which deliveries settled while more
   * were in flight (a backlog draining). Returns the stop function.
   */
  watchDrain(inFlight: () => number): () => void;
}

/** Whether `format` means pretty output on `stdout`. */
export function prettyWanted(
  format: ConnectorTerminalOptions["format"],
  stdout: { readonly isTTY?: boolean },
): boolean {
  return format === "pretty" || (format === "auto" && stdout.isTTY === true);
}

/** Creates the terminal for the configured format. */
export function createConnectorTerminal(options: ConnectorTerminalOptions): ConnectorTerminal {
  const { stdout } = options;
  const pretty = prettyWanted(options.format, stdout);
  const palette = paletteFor(pretty && colorsWanted(stdout, options.env));
  const destination = pretty
    ? {
        write(line: string) {
          stdout.write(logRecordLine(JSON.parse(line) as Record<string, unknown>, palette));
        },
      }
    : stdout;
  const logger = pino(
    { level: options.level, base: { service: "webhook-connect-connector" } },
    destination,
  );
  let delivered = 0;
  let failed = 0;
  const remaining = createRemainingCount();
  const deliveryLines = pretty && logger.isLevelEnabled("info");

  return {
    logger,
    pretty,
    starting(info) {
      if (!pretty) {
        logger.info(
          {
            version: info.version,
            cloud_url: info.cloudUrl,
            channel: info.channel,
            group: info.group,
            protocol: info.protocol,
            proxy: info.proxy,
            connector_id: info.connectorId,
            mode: info.mode,
            forward_to: Object.fromEntries(info.destinations.map((d) => [d.webhook, d.to])),
            max_concurrent_requests: info.maxConcurrentRequests,
            config_file: info.configFile,
            inspector: info.inspector ?? "off",
            history_file: info.historyFile,
          },
          "connector starting",
        );
        return;
      }
      stdout.write(bannerLines(info, palette));
    },
    event(event) {
      if (event.type === "connected") remaining.opened(event.backlog);
      if (event.type === "delivered" || event.type === "failed") {
        if (event.type === "delivered") delivered++;
        else failed++;
        remaining.settled(event.type === "delivered" || !event.retry);
        if (deliveryLines) {
          stdout.write(deliveryLine(event, palette, new Date()));
          return;
        }
      }
      logConnectorEvent(logger, event);
    },
    watchDrain(inFlight) {
      if (!deliveryLines) return () => {};
      let last = delivered + failed;
      let lastAt = performance.now();
      const timer = setInterval(() => {
        const settled = delivered + failed;
        const now = performance.now();
        const pending = inFlight();
        if (settled > last && pending > 0) {
          const perSecond = ((settled - last) * 1_000) / (now - lastAt);
          stdout.write(
            summaryLine(
              { delivered, failed, remaining: remaining.value(), inFlight: pending, perSecond },
              palette,
              new Date(),
            ),
          );
        }
        last = settled;
        lastAt = now;
      }, 1_000);
      timer.unref();
      return () => clearInterval(timer);
    },
  };
}

function bannerLines(info: StartInfo, palette: Palette): string {
  const group = info.group === "" ? "" : ` (group ${info.group})`;
  const lines = [
    `${palette.bold("webhook-connect connector")} ${palette.dim(info.version)}`,
    `  channel   ${palette.bold(info.channel)}${group} on ${info.cloudUrl} (${info.protocol})`,
  ];
  if (info.proxy !== "none") lines.push(`  proxy     ${info.proxy}`);
  for (const { webhook, to } of info.destinations) {
    const which = webhook === "*" ? "" : `${webhook} → `;
    lines.push(`  forward   ${which}${palette.cyan(to)}`);
  }
  if (info.inspector !== undefined) lines.push(`  inspect   ${palette.cyan(info.inspector)}`);
  if (info.configFile !== undefined) lines.push(`  config    ${info.configFile}`);
  return `${lines.join("\n")}\n`;
}
