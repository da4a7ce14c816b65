/**
 * Output module tests that configure one webhook, "hook", with one module
 * on one named connection: its config, per-test deliverers built from it,
 * and the outcome of a single delivery.
 */
import { afterEach } from "vitest";
import type { DeliveryOutcome } from "../../../../connector/delivery/deliverer.js";
import { deliverFrom, jsonMessage, never, type TestDeliverer } from "../helpers.js";

/** The webhooks config of one entry "hook" sending to `module` over connection `connection`. */
export function hookEntry(
  module: string,
  connection: string,
  moduleConfig: Record<string, unknown>,
  dataType?: string,
) {
  return {
    hook: {
      ...(dataType === undefined ? {} : { data_type: dataType }),
      module,
      connection,
      "module-config": moduleConfig,
    },
  };
}

/** What hookBuilder builds: the module, its module-config defaults and its connection. */
export interface HookSpec {
  readonly module: string;
  readonly moduleConfig: Record<string, unknown>;
  /** The connection's name and config; read at each build, so it may name a per-test server. */
  readonly connection: readonly [name: string, config: () => Record<string, unknown>];
}

/**
 * Returns `build(moduleConfig, dataType)`, which builds the "hook" deliverer
 * of `spec` with `moduleConfig` over its defaults; closes all it built after
 * each test (before the file's own earlier-registered afterEach hooks).
 */
export function hookBuilder(spec: HookSpec) {
  const built: TestDeliverer[] = [];
  afterEach(async () => {
    for (const b of built.splice(0)) await b.close();
  });
  return async (moduleConfig: Record<string, unknown> = {}, dataType = "json") => {
    const [name, config] = spec.connection;
    const b = await deliverFrom(
      hookEntry(spec.module, name, { ...spec.moduleConfig, ...moduleConfig }, dataType),
      { [name]: config() },
    );
    built.push(b);
    return b;
  };
}

/** Builds a deliverer from `webhooks` and `connections`, delivers one JSON message, closes it and returns the outcome. */
export async function outcomeOfOneDelivery(
  webhooks: unknown,
  connections: unknown,
): Promise<DeliveryOutcome> {
  const b = await deliverFrom(webhooks, connections);
  try {
    return await b.deliverer.deliver(jsonMessage({}), never);
  } finally {
    await b.close();
  }
}
