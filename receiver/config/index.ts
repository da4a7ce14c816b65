/**
 * Receiver configuration: webhooks.json loading and validation, `{$VAR}`
 * substitution and the config error every start-up failure is reported with.
 */

export type { RelaySource } from "./channels.js";
export { ConfigError, formatKeyPath } from "./config-error.js";
export {
  HANDSHAKE_PROVIDERS,
  type HandshakeProvider,
  type HandshakeSettings,
  parseHandshakeBlock,
} from "./handshake.js";
export { findJsonSyntaxError, type JsonSyntaxProblem } from "./json-syntax.js";
export {
  type LoadReceiverConfigOptions,
  loadReceiverConfig,
  parseReceiverConfig,
} from "./load.js";
export { isValidName, NAME_PATTERN, NAME_RULE } from "./names.js";
export {
  type CustomResponse,
  compileTemplate,
  parseResponseBlock,
  RESPONSE_PLACEHOLDERS,
  type ResponsePart,
  type ResponsePlaceholder,
} from "./response.js";
export {
  type DataType,
  RELAY_MODULE,
  type RelayModuleConfig,
  relayModuleConfigSchema,
  webhookEntrySchema,
} from "./schema.js";
export { MissingVariableError, substituteVariables } from "./substitute.js";
export type { ChannelConfig, ReceiverConfig, WebhookEntry } from "./types.js";
