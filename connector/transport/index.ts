/** Client side of the streaming protocol: the Transport seam and its implementations. */
export { createAutoTransport } from "./auto-transport.js";
export { createFrameQueue, type FrameQueue } from "./frame-queue.js";
export { connectorErrorFromRpc } from "./rpc-errors.js";
export { openRpcSession, type RpcSessionTuning } from "./rpc-session.js";
export {
  createConnectRelayTransport,
  createGrpcRelayTransport,
  type RpcRelayTransportOptions,
  rpcBaseUrl,
} from "./rpc-transport.js";
export {
  createTransportForProtocol,
  type TransportFactory,
  type TransportFactoryOptions,
  transportFactories,
} from "./select.js";
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
} from "./transport.js";
