/**
 * The stream room: attach and sessions, and the transports that frame them
 * (gRPC/Connect, WebSocket, SSE, long-poll, acks over HTTP). What app.ts
 * mounts on the listener, and the events sessions report.
 */
export { createConnectEndpoints } from "./connect-endpoints.js";
export { createRpcEndpoint, RELAY_SERVICE_PATH } from "./rpc-endpoint.js";
export type { SessionEvent } from "./session.js";
export type { StreamContext } from "./stream-context.js";
export { createWebSocketEndpoint } from "./websocket-endpoint.js";
