/**
 * Module mode of the connector (SPEC §8): webhooks.json + connections.json
 * in the seed's gateway format, output modules, chains.
 */

export { loadModuleModeConfig, type ModuleModeConfig } from "./config/load.js";
export { createModuleDeliverer, type ModuleDelivererOptions } from "./deliverer.js";
export type {
  ChainItemFailedEvent,
  ChainItemRetryEvent,
  ChainItemSkippedEvent,
  ConnectionErrorEvent,
  ModuleEvent,
  ModuleEventSink,
} from "./events.js";
export {
  ModuleDeliveryError,
  type OutputModule,
  type OutputModuleContext,
} from "./output-module.js";
export { findModule, moduleNames } from "./registry.js";
