import { once } from "node:events";
import { type AddressInfo, createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { ProxyError } from "../../../connector/errors.js";
import { parseProxyUrl } from "../../../connector/transport/proxy.js";
import { openTunnel } from "../../../connector/transport/proxy-tunnel.js";

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** A proxy on port 0 that hands each connection's first request head to `answer`. */
async function proxyAnswering(answer: (head: string, socket: Socket) => void, auth = "") {
  const server = createServer((socket) => {
    let head = "";
    socket.on("data", (chunk: Buffer) => {
      head += chunk.toString("latin1");
      if (head.includes("\r\n\r\n")) {
        socket.removeAllListeners("data");
        answer(head, socket);
      }
    });
    socket.on("error", () => undefined);
  });
  servers.push(server);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const proxy = parseProxyUrl(`http://${auth}127.0.0.1:${(server.address() as AddressInfo).port}`);
  if ("problem" in proxy) throw new Error(proxy.problem);
  return proxy;
}

async function failure(promise: Promise<unknown>): Promise<ProxyError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProxyError);
  return error as ProxyError;
}

describe("CONNECT tunnel", () => {
  it("sends the authority, Host and Basic credentials, then carries bytes both ways", async () => {
    let seen = "";
    const proxy = await proxyAnswering((head, socket) => {
      seen = head;
      // The first bytes of the far side arrive in the same packet as the answer.
      socket.write("HTTP/1.1 200 Connection established\r\n\r\nhello");
      socket.on("data", (chunk: Buffer) => socket.write(chunk));
    }, "al%40ice:p%3Ass@");
    const tunnel = await openTunnel(proxy, "relay.example.com", 8443);
    expect(seen).toBe(
      `CONNECT relay.example.com:8443 HTTP/1.1\r\nHost: relay.example.com:8443\r\nProxy-Authorization: Basic ${Buffer.from("al@ice:p:ss").toString("base64")}\r\n\r\n`,
    );
    tunnel.write("ping");
    let received = "";
    tunnel.setEncoding("utf8");
    await new Promise<void>((resolve) => {
      tunnel.on("data", (chunk: string) => {
        received += chunk;
        if (received === "helloping") resolve();
      });
    });
    tunnel.destroy();
  });

  it("brackets an IPv6 receiver in the authority", async () => {
    let seen = "";
    const proxy = await proxyAnswering((head, socket) => {
      seen = head;
      socket.end("HTTP/1.1 200 OK\r\n\r\n");
    });
    (await openTunnel(proxy, "::1", 443)).destroy();
    expect(seen.split("\r\n")[0]).toBe("CONNECT [::1]:443 HTTP/1.1");
  });

  it("asks for credentials on a 407 without them, and makes it fatal", async () => {
    const proxy = await proxyAnswering((_head, socket) =>
      socket.end("HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic\r\n\r\n"),
    );
    const error = await failure(openTunnel(proxy, "relay.example.com", 443));
    expect(error.message).toBe(
      `proxy ${proxy.label} requires authentication (407 Proxy Authentication Required); put the credentials in proxy_url as http://user:password@host:port`,
    );
    expect(error.fatal).toBe(true);
    expect(error.code).toBe("WC_ERR_CONNECTOR_PROXY");
  });

  it("names a refusal, an answer that is not HTTP and a connection closed mid-way", async () => {
    const refusing = await proxyAnswering((_head, socket) =>
      socket.end("HTTP/1.0 403 Forbidden\r\n\r\n"),
    );
    const refused = await failure(openTunnel(refusing, "relay.example.com", 8443));
    expect(refused.message).toBe(
      `proxy ${refusing.label} refused CONNECT to relay.example.com:8443 (403 Forbidden)`,
    );
    expect(refused.fatal).toBe(false);
    const garbling = await proxyAnswering((_head, socket) => socket.end("SSH-2.0-OpenSSH\r\n\r\n"));
    expect((await failure(openTunnel(garbling, "r", 443))).message).toBe(
      `proxy ${garbling.label} answered CONNECT with 'SSH-2.0-OpenSSH'`,
    );
    const closing = await proxyAnswering((_head, socket) => socket.end());
    expect((await failure(openTunnel(closing, "r", 443))).message).toBe(
      `proxy ${closing.label} closed the connection on CONNECT r:443`,
    );
  });

  it("stops waiting when the signal aborts", async () => {
    const silent = await proxyAnswering(() => undefined);
    const controller = new AbortController();
    const opening = openTunnel(silent, "r", 443, controller.signal);
    controller.abort();
    expect((await failure(opening)).message).toBe(`proxy ${silent.label}: cancelled`);
  });
});
