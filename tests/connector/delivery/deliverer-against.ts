/**
 * The HTTP target tests' set-up for a deliverer other than setup()'s
 * single `/hooks?src=relay` target: other paths, routes or limits.
 */
import type { Deliverer } from "../../../connector/delivery/deliverer.js";
import {
  createHttpTargetDeliverer,
  type HttpTargetDelivererOptions,
} from "../../../connector/delivery/http-target.js";
import { track } from "../helpers/http-target-fixture.js";
import {
  startTargetServer,
  type TargetHandler,
  type TargetServer,
} from "../helpers/target-server.js";

/** Starts a target with `handler` and a deliverer built from `options(serverUrl)`; both closed after the test. */
export async function setupDelivererAgainst(
  handler: TargetHandler,
  options: (serverUrl: string) => HttpTargetDelivererOptions,
): Promise<{ server: TargetServer; deliverer: Deliverer }> {
  const server = await startTargetServer(handler);
  const deliverer = createHttpTargetDeliverer(options(server.url));
  track(
    () => server.close(),
    () => deliverer.close(),
  );
  return { server, deliverer };
}
