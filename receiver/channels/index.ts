export {
  type ChannelTokenEvent,
  ChannelTokens,
  type ChannelTokensOptions,
  generateChannelToken,
  type RotationResult,
  type TokenInfo,
} from "./channel-tokens.js";
export {
  type AttachedConnection,
  type ChannelDefinition,
  ChannelRegistry,
  type ConnectionInfo,
  closedWithin,
  type ExtraToken,
  groupName,
  type TokenCheck,
} from "./registry.js";
export { tokenStateKey } from "./token-state.js";
export { bearerToken, digestsEqual, secretDigest, secretsEqual } from "./tokens.js";
