/** The failed-authentication throttle (see auth-throttle.ts). */
export {
  type AuthThrottle,
  type AuthThrottleEvent,
  type AuthThrottleLimits,
  type AuthThrottleOptions,
  createAuthThrottle,
  defaultAuthThrottleLimits,
} from "./auth-throttle.js";
export { parseTrustedProxies, type RequestOrigin } from "./client-key.js";
