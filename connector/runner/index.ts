/** The connector's connection loop and its events. */
export { type Backoff, type BackoffOptions, createBackoff } from "./backoff.js";
export type {
  ConnectorEvent,
  ConnectorEventListener,
  DeliveryFacts,
  DisconnectReason,
} from "./events.js";
export {
  type ConnectorRunner,
  type ConnectorRunnerOptions,
  createConnectorRunner,
} from "./runner.js";
