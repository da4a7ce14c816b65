/**
 * Receiver configuration: webhooks.json loading and validation, `{$VAR}`
 * substitution and the config error every start-up failure is reported with.
 */

export {
  ConfigError,
  findJsonSyntaxError,
  formatKeyPath,
  type JsonSyntaxProblem,
  MissingVariableError,
  substituteVariables,
} from "../../config-file/index.js";
export type { RelaySource } from "./channels.js";
export {
  HANDSHAKE_PROVIDERS,
  type HandshakeProvider,
  type HandshakeSettings,
  parseHandshakeBlock,
} from "./handshake.js";
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
export type { ChannelConfig, ReceiverConfig, WebhookEntry } from "./types.js";
