/**
 * The local inspector (issue 16): history of deliveries in SQLite, a JSON
 * API and a web page with live updates and replay. `startInspector` wires
 * them around the connector's deliverer.
 */
import { homedir } from "node:os";
import { join } from "node:path";
import type { ConnectorConfig } from "../config/index.js";
import type { AttemptRecord, Deliverer } from "../delivery/index.js";
import { openHistoryStore } from "./history-store.js";
import { createAttemptCollector, createRecordingDeliverer } from "./recording.js";
import { createReplayer } from "./replay.js";
import { type InspectorServer, startInspectorServer } from "./server.js";

export { type HistoryStore, openHistoryStore } from "./history-store.js";
export { inspectorAssets } from "./page.js";

/** `HOST:PORT` of `inspect`, brackets of an IPv6 host removed. */
export function parseInspectAddress(value: string): { host: string; port: number } {
  const colon = value.lastIndexOf(":");
  const host = value.slice(0, colon).replace(/^\[(.*)\]$/, "$1");
  return { host, port: Number(value.slice(colon + 1)) };
}

/** True for addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** The folder of local state: `state_dir`, else $XDG_STATE_HOME/webhook-connect, else ~/.local/state/webhook-connect. */
export function stateDirOf(
  config: ConnectorConfig,
  env: Readonly<Record<string, string | undefined>>,
): string {
  if (config.state_dir !== undefined) return config.state_dir;
  const xdg = env["XDG_STATE_HOME"];
  if (xdg !== undefined && xdg !== "") return join(xdg, "webhook-connect");
  return join(env["HOME"] || homedir(), ".local", "state", "webhook-connect");
}

/** The history file of a channel and group. */
export function historyFileOf(stateDir: string, config: ConnectorConfig): string {
  const group = config.group === "" ? "" : `.${config.group}`;
  return join(stateDir, `inspector-${config.channel}${group}.db`);
}

/** A running inspector around a deliverer. */
export interface RunningInspector {
  /** The deliverer that records what it delivers. */
  readonly deliverer: Deliverer;
  readonly url: string;
  readonly historyFile: string;
  close(): Promise<void>;
}

/** Options of startInspector. */
export interface StartInspectorOptions {
  readonly config: ConnectorConfig;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Builds the connector's deliverer, passing HTTP requests to `onAttempt`. */
  readonly buildDeliverer: (onAttempt: (record: AttemptRecord) => void) => Promise<Deliverer>;
  readonly forwardedProto: string;
}

/** Opens the history, builds the recording deliverer and starts the server. */
export async function startInspector(options: StartInspectorOptions): Promise<RunningInspector> {
  const { config } = options;
  const { host, port } = parseInspectAddress(config.inspect);
  const historyFile = historyFileOf(stateDirOf(config, options.env), config);
  let server: InspectorServer | undefined;
  const store = openHistoryStore({
    path: historyFile,
    maxDeliveries: config.inspect_max_deliveries,
    maxBytes: config.inspect_max_bytes,
    onCommit: (changes) => server?.notify(changes),
  });
  const collector = createAttemptCollector();
  let inner: Deliverer;
  try {
    inner = await options.buildDeliverer(collector.onAttempt);
  } catch (error) {
    store.close();
    throw error;
  }
  const http = config.webhooks_config === undefined;
  try {
    server = await startInspectorServer({
      host,
      port,
      checkHost: isLoopback(host),
      store,
      replayer: createReplayer({
        store,
        defaultTarget: config.default_target,
        targets: config.targets,
        moduleDeliverer: http ? undefined : inner,
        forwardedProto: options.forwardedProto,
      }),
    });
  } catch (error) {
    await inner.close().catch(() => {});
    store.close();
    throw error;
  }
  const running = server;
  return {
    deliverer: createRecordingDeliverer(inner, store, collector),
    url: running.url,
    historyFile,
    async close() {
      await running.close();
      store.close();
    },
  };
}
