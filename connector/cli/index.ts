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
