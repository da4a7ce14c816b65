import type { PrivateServer } from "../helpers/server-process.js";
import type { TopologyBackend } from "./topology.js";
import type { OutageBroker } from "./topology-outage.js";

/** A private broker process as an outage: stopped with `signal`, started again on the same port and files. */
export function privateServerOutage(
  server: PrivateServer,
  backend: (url: string) => TopologyBackend,
  signal: NodeJS.Signals,
): OutageBroker {
  return {
    backend: backend(server.url),
    down: () => server.stop(signal),
    up: () => server.start(),
    close: () => server.close(),
  };
}
