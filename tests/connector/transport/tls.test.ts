import { describe, expect, it } from "vitest";
import { TransportError } from "../../../connector/errors.js";
import {
  createConnectRelayTransport,
  createGrpcRelayTransport,
} from "../../../connector/transport/rpc-transport.js";
import { loadTlsOptions } from "../../../connector/transport/tls.js";
import { makeSelfSignedCert } from "../../helpers/certs.js";
import { useRelaySessions } from "../helpers/relay-sessions.js";

const { relay, open, openOptions } = useRelaySessions();

describe("TLS options", () => {
  const server = makeSelfSignedCert("relay");
  const client = makeSelfSignedCert("connector");

  it("refuses an unknown server certificate when verify_ssl is on", async () => {
    const r = await relay({ tls: { key: server.key, cert: server.cert } });
    const tls = loadTlsOptions({ verifySsl: true });
    const transport = createGrpcRelayTransport({ cloudUrl: r.url, token: "secret-token", tls });
    await expect(transport.open(openOptions())).rejects.toBeInstanceOf(TransportError);
  });

  it("trusts the server with ca_cert_path", async () => {
    const r = await relay({ tls: { key: server.key, cert: server.cert } });
    const tls = loadTlsOptions({ caCertPath: server.certPath });
    const session = await open(
      createGrpcRelayTransport({ cloudUrl: r.url, token: "secret-token", tls }),
    );
    expect(session.welcome.connectionId).toBe("conn-1");
  });

  it("connects without verification when verify_ssl is off", async () => {
    const r = await relay({ tls: { key: server.key, cert: server.cert } });
    const tls = loadTlsOptions({ verifySsl: false });
    const session = await open(
      createConnectRelayTransport({ cloudUrl: r.url, token: "secret-token", tls }),
    );
    expect(session.transport).toBe("connect");
  });

  it("presents the client certificate for mutual TLS", async () => {
    const r = await relay({ tls: { key: server.key, cert: server.cert, ca: client.cert } });
    const withCert = loadTlsOptions({
      caCertPath: server.certPath,
      clientCertPath: client.certPath,
      clientKeyPath: client.keyPath,
    });
    const session = await open(
      createGrpcRelayTransport({ cloudUrl: r.url, token: "secret-token", tls: withCert }),
    );
    expect(session.welcome.connectionId).toBe("conn-1");
    const withoutCert = loadTlsOptions({ caCertPath: server.certPath });
    const refused = createGrpcRelayTransport({
      cloudUrl: r.url,
      token: "secret-token",
      tls: withoutCert,
    });
    await expect(refused.open(openOptions())).rejects.toBeInstanceOf(TransportError);
  });

  it("names an unreadable TLS file", () => {
    expect(() => loadTlsOptions({ caCertPath: "/nonexistent/ca.pem" })).toThrow(
      "cannot read ca_cert_path '/nonexistent/ca.pem' (ENOENT)",
    );
  });
});
