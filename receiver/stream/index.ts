export { createConnectEndpoints } from "./connect-endpoints.js";
export { createRpcEndpoint, RELAY_SERVICE_PATH } from "./rpc-endpoint.js";
export type { SessionEvent } from "./session.js";
export type { StreamContext } from "./stream-context.js";
export { createWebSocketEndpoint } from "./websocket-endpoint.js";
