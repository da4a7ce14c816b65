/** Connector configuration: schema, sources (file, env, flags) and loader. */

export type { ConnectorArgs } from "./args.js";
export { connectorUsage, parseConnectorArgs } from "./args.js";
export {
  type HelpRequested,
  type LoadConnectorConfigOptions,
  type LoadedConnectorConfig,
  loadConnectorConfig,
} from "./load.js";
export { type ConfigOption, configOptions } from "./options.js";
export {
  type ConnectorConfig,
  connectorConfigSchema,
  deliveryModeOf,
  logLevels,
  protocols,
  type StreamProtocol,
  type TargetConfig,
  targetSchema,
} from "./schema.js";
