/**
 * The server room: the one port (HTTP/1.1, HTTP/2 and TLS) every endpoint
 * shares, the router in front of them, and the JSON answers and error bodies
 * they send.
 */
export type { AnyRequest, AnyResponse } from "./http-types.js";
export {
  destroySocket,
  type Listener,
  type ListenerLimits,
  peerAddressOf,
  startListener,
} from "./listener.js";
export { createRouter, type InternalErrorEvent, requestWhere } from "./router.js";
export { isHttp2Response, sendError, sendJson, sendJsonText } from "./send.js";
