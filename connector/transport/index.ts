/** Client side of the streaming protocol: the Transport seam and its implementations. */
export { type AutoTransportOptions, createAutoTransport } from "./auto-transport.js";
export { createFrameQueue, type FrameQueue } from "./frame-queue.js";
export { createLongPollTransport, type LongPollTransportOptions } from "./long-poll-transport.js";
export { type ForwardProxy, parseProxyUrl, resolveForwardProxy } from "./proxy.js";
export { connectorErrorFromRpc } from "./rpc-errors.js";
export { type BidiCall, openRpcSession, type RpcSessionTuning } from "./rpc-session.js";
export {
  createConnectRelayTransport,
  createGrpcRelayTransport,
  type RpcRelayTransportOptions,
  rpcBaseUrl,
} from "./rpc-transport.js";
export {
  autoTransportFactories,
  createTransportForProtocol,
  type TransportFactory,
  type TransportFactoryOptions,
  transportFactories,
} from "./select.js";
export { createSseTransport, type HttpStreamTransportOptions } from "./sse-transport.js";
export { CONNECT_HTTP1, createConnectHttp1Transport } from "./subscribe-transport.js";
export { loadTlsOptions, type TlsOptions, type TlsSettings } from "./tls.js";
export type {
  NackOptions,
  OpenSessionOptions,
  RelaySession,
  SessionEnd,
  SessionHello,
  SessionNotice,
  SessionWelcome,
  Transport,
  TransportFailure,
} from "./transport.js";
export { createWebSocketTransport, websocketUrl } from "./websocket-transport.js";
