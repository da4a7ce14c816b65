/**
 * A receiver process of the real `webhook-connect` executable, started
 * from options rather than a list of flags each test spells out again.
 */
import { type RunningProcess, runCli } from "./processes.js";

/** How a receiver process is started (always on 127.0.0.1). */
export interface ReceiverOptions {
  /** The webhooks config file (`--config`). */
  readonly config: string;
  /** `--port`. */
  readonly port: number;
  /** The `--buffer` URL. */
  readonly buffer: string;
  /** `--heartbeat` in seconds; the receiver's default when undefined. */
  readonly heartbeat?: number;
  /** `--tls-cert` and `--tls-key`. */
  readonly tls?: { readonly certPath: string; readonly keyPath: string };
  /** Further flags. */
  readonly args?: readonly string[];
}

/** Spawns `webhook-connect receiver` as `options` say, with extra environment variables. */
export function runReceiver(
  options: ReceiverOptions,
  env: Record<string, string> = {},
): RunningProcess {
  const { config, port, buffer, heartbeat, tls, args = [] } = options;
  return runCli(
    [
      "receiver",
      ...["--config", config, "--host", "127.0.0.1", "--port", String(port), "--buffer", buffer],
      ...(heartbeat === undefined ? [] : ["--heartbeat", String(heartbeat)]),
      ...(tls === undefined ? [] : ["--tls-cert", tls.certPath, "--tls-key", tls.keyPath]),
      ...args,
    ],
    env,
  );
}
