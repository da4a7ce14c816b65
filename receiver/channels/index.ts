export {
  type AttachedConnection,
  type ChannelDefinition,
  ChannelRegistry,
  type ConnectionInfo,
  type ExtraToken,
  groupName,
  type TokenCheck,
} from "./registry.js";
export { bearerToken, digestsEqual, secretDigest, secretsEqual } from "./tokens.js";
