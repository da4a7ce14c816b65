/**
 * The shipped reverse-proxy configs (docs/deploy) as reverse-proxies.test.ts
 * and reverse-proxies-replicas.test.ts run them: nginx and HAProxy
 * terminating TLS for `localhost` in front of one or more receivers.
 */
import {
  createConnectHttp1Transport,
  createConnectRelayTransport,
  createGrpcRelayTransport,
  createLongPollTransport,
  createSseTransport,
  createWebSocketTransport,
  loadTlsOptions,
  type TlsOptions,
  type Transport,
} from "../../connector/transport/index.js";
import { type CertPair, makeSelfSignedCert } from "../helpers/certs.js";
import { type ProxyServer, startHaproxy, startNginx } from "../helpers/proxy-servers.js";

type TransportOptions = Parameters<typeof createGrpcRelayTransport>[0];

/** Every connector transport by its protocol name, each to be tried through the proxies. */
export const connectorTransports: Readonly<
  Record<string, (options: TransportOptions) => Transport>
> = {
  grpc: createGrpcRelayTransport,
  connect: createConnectRelayTransport,
  connect_http1: createConnectHttp1Transport,
  websocket: createWebSocketTransport,
  sse: createSseTransport,
  long_poll: createLongPollTransport,
};

/** The certificate the proxies present, and the connector TLS options that trust it. */
export function localhostTls(): { cert: CertPair; tls: TlsOptions } {
  const cert = makeSelfSignedCert("localhost");
  return { cert, tls: loadTlsOptions({ caCertPath: cert.certPath }) };
}

/** Starts the shipped nginx and HAProxy configs side by side in front of `upstream`. */
export function startShippedProxies(
  upstream: string | readonly string[],
  cert: CertPair,
): Promise<[nginx: ProxyServer, haproxy: ProxyServer]> {
  return Promise.all([startNginx({ upstream, cert }), startHaproxy({ upstream, cert })]);
}

/** The proxies terminate TLS: the address a client uses. */
export function httpsUrl(proxy: ProxyServer): string {
  return proxy.url.replace("http:", "https:");
}

/** A channel's admin stats address on one receiver. */
export function channelStatsUrl(receiverUrl: string, channel: string): string {
  return `${receiverUrl}/admin/webhook-connect/channels/${channel}/stats`;
}
