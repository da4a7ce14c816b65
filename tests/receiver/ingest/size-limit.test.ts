import { once } from "node:events";
import { connect, type Socket } from "node:net";
import { describe, expect, it } from "vitest";
import type { SqliteBuffer } from "../../../receiver/buffer/sqlite/index.js";
import { storedMessages } from "./buffers.js";
import { parseResponse, postHead, type RawResponse, rawRequest, relayEntry } from "./harness.js";
import { type OnSqliteOptions, startOnSqlite } from "./on-sqlite.js";

const LIMIT = 1024;

/** A server for `hook`, whose channel takes bodies up to LIMIT bytes. */
function start(options: OnSqliteOptions = {}) {
  return startOnSqlite({ hook: relayEntry({ max_message_bytes: LIMIT }) }, options);
}

/** Resolves with the response as soon as it is complete, while the socket may stay open. */
function responseOn(socket: Socket): Promise<RawResponse> {
  const chunks: Buffer[] = [];
  return new Promise((resolve, reject) => {
    socket.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      const response = parseResponse(Buffer.concat(chunks));
      if (response !== undefined) resolve(response);
    });
    socket.on("close", () => reject(new Error("closed without a complete response")));
  });
}

describe("ingest: body size limit", () => {
  it("answers 413 from Content-Length alone, without waiting for the body", async () => {
    const { server, buffer } = await start();
    const rejected = server.nextEvent("rejected");
    const socket = connect({ port: server.port, host: "127.0.0.1" });
    socket.on("error", () => undefined);
    const response = responseOn(socket);
    // Headers only: a server that waited for the body would never answer.
    socket.write(
      `POST /webhook/hook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${LIMIT + 1}\r\n\r\n`,
    );
    const answer = await response;
    expect(answer.status).toBe(413);
    expect(answer.headers["connection"]).toBe("close");
    expect(answer.json()).toEqual({
      error: "payload_too_large",
      message: `request body exceeds the limit of ${LIMIT} bytes`,
    });
    const event = await rejected;
    expect(event.reason).toContain(`Content-Length ${LIMIT + 1}`);
    await once(socket, "close");
    expect(await storedMessages(buffer)).toHaveLength(0);
  });

  it("stops reading a chunked body past the limit, answers 413 and closes", async () => {
    const { server, buffer } = await start();
    const socket = connect({ port: server.port, host: "127.0.0.1" });
    socket.on("error", () => undefined);
    await once(socket, "connect");
    const response = responseOn(socket);
    let answered = false;
    void response.then(
      () => {
        answered = true;
      },
      () => undefined,
    );
    // Plain listeners: events.once would reject on the EPIPE the client is expected to get.
    const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
    const drained = () => new Promise<void>((resolve) => socket.once("drain", () => resolve()));
    socket.write(
      "POST /webhook/hook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
    );

    // Offer far more than any socket buffer holds; keep writing until the answer comes.
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    const frame = Buffer.concat([
      Buffer.from(`${chunk.length.toString(16)}\r\n`),
      chunk,
      Buffer.from("\r\n"),
    ]);
    const total = 64 * 1024 * 1024;
    let offered = 0;
    while (!answered && !socket.destroyed && offered < total) {
      offered += chunk.length;
      if (!socket.write(frame)) {
        await Promise.race([drained(), response.catch(() => undefined), closed]);
      }
    }

    const answer = await response;
    expect(answer.status).toBe(413);
    expect(answer.headers["connection"]).toBe("close");
    await closed;
    expect(offered).toBeLessThan(total);
    // The server read the limit plus at most a few socket reads, not what was offered.
    const serverSocket = server.sockets[0]!;
    expect(serverSocket.bytesRead).toBeLessThan(1024 * 1024);
    expect(await storedMessages(buffer)).toHaveLength(0);
  });
});

describe("ingest: backend payload limit", () => {
  it("answers 413 above the buffer's own limit even when the channel allows more", async () => {
    const { server, buffer } = await start({
      through: (base) =>
        Object.assign(Object.create(base) as SqliteBuffer, { maxBodyBytes: () => 100 }),
    });
    const body = "x".repeat(200);
    const small = JSON.stringify({ small: "y".repeat(30) });
    const big = await rawRequest(server.port, postHead("/webhook/hook", body), body);
    expect(big.status).toBe(413);
    const ok = await rawRequest(
      server.port,
      postHead("/webhook/hook", small, ["Content-Type: application/json"]),
      small,
    );
    expect(ok.status).toBe(200);
    expect(await storedMessages(buffer)).toHaveLength(1);
  });
});
