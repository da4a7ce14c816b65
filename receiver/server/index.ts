export type { AnyRequest, AnyResponse } from "./http-types.js";
export { type Listener, type ListenerLimits, peerAddressOf, startListener } from "./listener.js";
export { createRouter, type InternalErrorEvent, requestWhere } from "./router.js";
export { isHttp2Response, sendError, sendJson, sendJsonText } from "./send.js";
