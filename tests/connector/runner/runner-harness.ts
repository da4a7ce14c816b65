/**
 * Wires a real runner to a fake relay (HTTP/2 on port 0), the real
 * transports and the real HTTP deliverer against a node:http target.
 */
import type { ServerResponse } from "node:http";
import type { TargetConfig } from "../../../connector/config/schema.js";
import type { Deliverer } from "../../../connector/delivery/deliverer.js";
import { createHttpTargetDeliverer } from "../../../connector/delivery/http-target.js";
import {
  type ConnectorRunnerOptions,
  createConnectorRunner,
} from "../../../connector/runner/runner.js";
import {
  createConnectRelayTransport,
  createGrpcRelayTransport,
} from "../../../connector/transport/rpc-transport.js";
import type { Transport } from "../../../connector/transport/transport.js";
import { createEventLog, type EventLog } from "../helpers/event-log.js";
import { type FakeRelay, type FakeRelayOptions, startFakeRelay } from "../helpers/fake-relay.js";
import {
  type RecordedRequest,
  startTargetServer,
  type TargetServer,
} from "../helpers/target-server.js";

/** A gate that holds target responses until opened. */
export interface Gate {
  wait(): Promise<void>;
  open(): void;
}

/** Creates a closed gate. */
export function createGate(): Gate {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { wait: () => opened, open };
}

/** Options of startHarness. */
export interface HarnessOptions {
  readonly protocol?: "grpc" | "connect";
  readonly relay?: FakeRelayOptions;
  readonly token?: string;
  readonly maxConcurrent?: number;
  readonly target?: (req: RecordedRequest, res: ServerResponse, index: number) => unknown;
  readonly targetConfig?: Partial<TargetConfig>;
  readonly runner?: Partial<ConnectorRunnerOptions>;
  readonly transport?: (relay: FakeRelay) => Transport;
  /** Another deliverer (module mode, say) for the target at `targetUrl`. @default HTTP mode */
  readonly deliverer?: (targetUrl: string) => Promise<Deliverer>;
}

/** A running harness. */
export interface Harness {
  readonly relay: FakeRelay;
  readonly target: TargetServer;
  readonly log: EventLog;
  readonly controller: AbortController;
  /** Resolves when run() returned. */
  readonly done: Promise<void>;
  /** Stops the runner and closes everything. */
  stop(): Promise<void>;
}

/** Starts relay, target and runner. */
export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const relay = await startFakeRelay(options.relay);
  const target = await startTargetServer(async (req, res, index) => {
    if (options.target === undefined) res.writeHead(200).end();
    else await options.target(req, res, index);
  });
  const transportOptions = { cloudUrl: relay.url, token: options.token ?? "secret-token" };
  const transport =
    options.transport?.(relay) ??
    (options.protocol === "connect"
      ? createConnectRelayTransport(transportOptions)
      : createGrpcRelayTransport(transportOptions));
  const deliverer = options.deliverer
    ? await options.deliverer(target.url)
    : createHttpTargetDeliverer({
        defaultTarget: {
          url: `${target.url}/hook`,
          headers: {},
          timeout_seconds: 10,
          retry_enabled: false,
          retry_max_attempts: 1,
          retry_delay_seconds: 0,
          retry_backoff_multiplier: 2,
          forward_query: true,
          forwarded_headers: true,
          ...options.targetConfig,
        },
      });
  const log = createEventLog();
  const runner = createConnectorRunner({
    transport,
    deliverer,
    hello: {
      channel: "test-channel",
      connectorId: "connector-under-test",
      group: "",
      maxInFlight: options.maxConcurrent ?? 10,
      clientVersion: "webhook-connect/test",
    },
    reconnectDelayMs: 10,
    maxReconnectDelayMs: 100,
    shutdownGraceMs: 5_000,
    random: () => 0.5,
    onEvent: log.listener,
    ...options.runner,
  });
  const controller = new AbortController();
  const done = runner.run(controller.signal);
  let stopped = false;
  return {
    relay,
    target,
    log,
    controller,
    done,
    async stop() {
      if (stopped) return;
      stopped = true;
      controller.abort();
      await done;
      await deliverer.close();
      await transport.close();
      await target.close();
      await relay.close();
    },
  };
}
