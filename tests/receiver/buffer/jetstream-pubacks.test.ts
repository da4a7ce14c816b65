/**
 * A publish whose PubAck is still owed when the NATS connection drops (its
 * server died, e.g. a cluster node killed) is refused at once, not after
 * the PubAck timeout: the sender gets its 503 and retries elsewhere.
 */
import { randomUUID } from "node:crypto";
import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { afterAll, describe, expect, it } from "vitest";
import type { Buffer } from "../../../receiver/buffer/buffer.js";
import {
  channelStream,
  createJetStreamBuffer,
  deadLetterStream,
} from "../../../receiver/buffer/jetstream/index.js";
import { BufferUnavailableError } from "../../../receiver/errors.js";
import { publishMany, TEST_CHANNEL_DEFAULTS } from "../../conformance/buffer-context.js";
import { NATS_URL } from "../../helpers/jetstream.js";
import { serviceAvailable } from "../../helpers/services.js";

const available = await serviceAvailable("nats");

/** A TCP proxy to NATS whose server-to-client direction can be held, then cut. */
async function startHoldingProxy() {
  const sockets = new Set<Socket>();
  const upstreams: Socket[] = [];
  const server: Server = createServer((client) => {
    const upstream = tcpConnect({ host: "127.0.0.1", port: 4222 });
    upstreams.push(upstream);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("error", () => socket.destroy());
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as { port: number }).port,
    /** Stops forwarding what the server sends (PubAcks included). */
    hold() {
      for (const upstream of upstreams) upstream.unpipe();
    },
    /** Drops every connection and refuses new ones. */
    async cut() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe.skipIf(!available)("jetstream PubAcks and lost connections", () => {
  const channel = { ...TEST_CHANNEL_DEFAULTS, name: `js-puback-${randomUUID().slice(0, 8)}` };
  let buffer: Buffer | undefined;

  afterAll(async () => {
    await buffer?.close();
    const nc = await connect({ servers: NATS_URL });
    const jsm = await jetstreamManager(nc);
    for (const stream of [channelStream(channel.name), deadLetterStream(channel.name)]) {
      await jsm.streams.delete(stream).catch(() => undefined);
    }
    await nc.close();
  });

  it("refuses a publish at once when the connection drops before its PubAck", async () => {
    const proxy = await startHoldingProxy();
    let onDisconnected: () => void = () => undefined;
    const disconnected = new Promise<void>((resolve) => {
      onDisconnected = resolve;
    });
    buffer = await createJetStreamBuffer({
      servers: `nats://127.0.0.1:${proxy.port}`,
      publishTimeoutMs: 15_000,
      onEvent: (event) => {
        if (event.type === "disconnected") onDisconnected();
      },
    });
    await buffer.ensureChannel(channel);

    proxy.hold();
    const started = performance.now();
    const publish = publishMany(buffer, channel, 1);
    const outcome = publish.then(
      () => "stored",
      (error: unknown) => error,
    );
    // The publish has left; its PubAck is held by the proxy.
    await new Promise((resolve) => setTimeout(resolve, 200));
    await proxy.cut();
    await disconnected;
    const error = await outcome;
    expect(error).toBeInstanceOf(BufferUnavailableError);
    expect((error as Error).message).toMatch(/connection lost before the PubAck/);
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});
