/**
 * The connector's command line: building the transport, deliverer and runner
 * from the parsed config, the terminal's delivery lines, and the version.
 */
export {
  buildDeliverer,
  buildTransport,
  connectorProxy,
  forwardedProtoOf,
  runnerOptions,
} from "./build.js";
export { logModuleEvent } from "./log-events.js";
export { createConnectorTerminal } from "./terminal.js";
export { connectorVersion } from "./version.js";
