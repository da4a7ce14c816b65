export {
  type AttachedConnection,
  type ChannelDefinition,
  ChannelRegistry,
  type ConnectionInfo,
  type ExtraToken,
  groupName,
  type TokenCheck,
} from "./registry.js";
export { bearerToken, secretsEqual } from "./tokens.js";
