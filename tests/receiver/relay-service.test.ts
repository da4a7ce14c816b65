/**
 * RelayService over a real in-process receiver (SQLite buffer, port 0):
 * channel auth, connection limits, liveness, acks that outlive their
 * connection, fan-out groups and long-poll leases — the session semantics
 * every transport shares.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { request } from "undici";
import { describe, expect, it } from "vitest";
import type { WebhookMessage } from "../../gen/webhookconnect/v1/message_pb.js";
import {
  type ConnectRequest,
  ConnectRequestSchema,
  type ConnectResponse,
  RelayService,
} from "../../gen/webhookconnect/v1/relay_pb.js";
import { startReceiver } from "../../receiver/app.js";
import { createSqliteBuffer } from "../../receiver/buffer/sqlite/index.js";
import { parseReceiverConfig } from "../../receiver/config/index.js";
import { closeAfterTest } from "../helpers/close-after-test.js";

const TOKEN = "relay-service-token";
async function start(channel: Record<string, unknown> = {}, heartbeatIntervalMs = 1_000) {
  const config = parseReceiverConfig(
    JSON.stringify({
      hook: {
        module: "webhook_connect",
        "module-config": { channel: "svc", channel_token: TOKEN, ...channel },
      },
    }),
    "webhooks.json",
  );
  const buffer = closeAfterTest(
    createSqliteBuffer({ path: join(mkdtempSync(join(tmpdir(), "wc-svc-")), "b.db") }),
  );
  const receiver = closeAfterTest(
    await startReceiver({ config, buffer, host: "127.0.0.1", port: 0, heartbeatIntervalMs }),
  );
  const client = createClient(RelayService, createGrpcTransport({ baseUrl: receiver.url }));
  return { url: receiver.url, client, receiver, buffer };
}

async function send(url: string, body: string): Promise<string> {
  const res = await request(`${url}/webhook/hook`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
  });
  expect(res.statusCode).toBe(200);
  return ((await res.body.json()) as { message_id: string }).message_id;
}

/** A bidi client whose outgoing frames the test pushes. */
function openStream(
  client: ReturnType<typeof createClient<typeof RelayService>>,
  hello: { channel?: string; group?: string; maxInFlight?: number },
  token = TOKEN,
) {
  const outgoing: ConnectRequest[] = [
    create(ConnectRequestSchema, {
      frame: {
        case: "hello",
        value: {
          channel: hello.channel ?? "svc",
          connectorId: "test",
          group: hello.group ?? "",
          maxInFlight: hello.maxInFlight ?? 10,
        },
      },
    }),
  ];
  let wake: (() => void) | undefined;
  const abort = new AbortController();
  async function* frames() {
    while (!abort.signal.aborted) {
      const next = outgoing.shift();
      if (next !== undefined) {
        yield next;
        continue;
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
        abort.signal.addEventListener("abort", () => resolve(), { once: true });
      });
    }
  }
  const responses = client.connect(frames(), {
    headers: { authorization: `Bearer ${token}` },
    signal: abort.signal,
  });
  const iterator = responses[Symbol.asyncIterator]();
  return {
    send(frame: NonNullable<MessageInitShape<typeof ConnectRequestSchema>["frame"]>) {
      outgoing.push(create(ConnectRequestSchema, { frame }));
      wake?.();
    },
    async next(kind: ConnectResponse["frame"]["case"]): Promise<ConnectResponse["frame"]> {
      for (;;) {
        const result = await iterator.next();
        if (result.done === true) throw new Error(`stream ended before a ${kind} frame`);
        if (result.value.frame.case === kind) return result.value.frame;
      }
    },
    async message(): Promise<WebhookMessage> {
      const frame = await this.next("message");
      if (frame.case !== "message") throw new Error("unreachable");
      return frame.value;
    },
    close() {
      abort.abort();
    },
  };
}

describe("RelayService", () => {
  it("answers Unauthenticated for a wrong token and NotFound for an unknown channel", async () => {
    const { client } = await start();
    const wrong = openStream(client, {}, "not-the-token");
    await expect(wrong.next("welcome")).rejects.toSatisfy(
      (e) => ConnectError.from(e).code === Code.Unauthenticated,
    );
    const unknown = openStream(client, { channel: "nope" });
    await expect(unknown.next("welcome")).rejects.toSatisfy(
      (e) => ConnectError.from(e).code === Code.NotFound,
    );
  });

  it("welcomes with the effective in-flight limit and heartbeat interval", async () => {
    const { client } = await start({ max_in_flight: 5 });
    const stream = openStream(client, { maxInFlight: 50 });
    const welcome = await stream.next("welcome");
    expect(welcome.case === "welcome" && welcome.value.maxInFlight).toBe(5);
    expect(welcome.case === "welcome" && Number(welcome.value.heartbeatInterval?.seconds)).toBe(1);
    stream.close();
  });

  it("refuses connections beyond max_connections with ResourceExhausted", async () => {
    const { client } = await start({ max_connections: 2 });
    const a = openStream(client, {});
    const b = openStream(client, {});
    await a.next("welcome");
    await b.next("welcome");
    const c = openStream(client, {});
    await expect(c.next("welcome")).rejects.toSatisfy(
      (e) => ConnectError.from(e).code === Code.ResourceExhausted,
    );
    a.close();
    b.close();
  });

  it("drops a client that stays silent for three heartbeat intervals", async () => {
    const { client, receiver } = await start({}, 200);
    const stream = openStream(client, {});
    await stream.next("welcome");
    const started = Date.now();
    await expect(stream.next("message")).rejects.toThrow();
    expect(Date.now() - started).toBeGreaterThanOrEqual(500);
    expect(receiver.registry.list("svc")).toHaveLength(0);
  });

  it("honours an ack sent on a new connection for a message leased by a closed one", async () => {
    const { url, client, buffer } = await start({ ack_timeout_seconds: 30 });
    const first = openStream(client, {});
    await first.next("welcome");
    const id = await send(url, '{"late":"ack"}');
    expect((await first.message()).messageId).toBe(id);
    first.close();
    const second = openStream(client, {});
    await second.next("welcome");
    // The closed connection's lease went back to the group, so the message
    // comes again; acking it by id on the new connection removes it.
    const again = await second.message();
    expect(again.messageId).toBe(id);
    expect(again.deliveryAttempt).toBe(2);
    second.send({ case: "ack", value: { messageIds: [id] } });
    await expect.poll(async () => (await buffer.stats("svc")).queued).toBe(0);
    expect((await buffer.stats("svc")).delivered).toBe(1);
    second.close();
  });

  it("gives every fan-out group its own copy", async () => {
    const { url, client } = await start();
    const laptopA = openStream(client, { group: "laptop-a" });
    const laptopB = openStream(client, { group: "laptop-b" });
    await laptopA.next("welcome");
    await laptopB.next("welcome");
    const id = await send(url, '{"fan":"out"}');
    expect((await laptopA.message()).messageId).toBe(id);
    expect((await laptopB.message()).messageId).toBe(id);
    laptopA.close();
    laptopB.close();
  });

  it("keeps long-poll leases valid so a later unary Ack succeeds", async () => {
    const { url, client, buffer } = await start();
    const id = await send(url, '{"poll":1}');
    const pulled = await client.pull(
      {
        hello: { channel: "svc", connectorId: "poller" },
        maxMessages: 5,
        timeout: durationFromMs(2_000),
      },
      { headers: { authorization: `Bearer ${TOKEN}` } },
    );
    expect(pulled.messages.map((m) => m.messageId)).toEqual([id]);
    const empty = await client.pull(
      {
        hello: { channel: "svc", connectorId: "poller" },
        connectionId: pulled.connectionId,
        maxMessages: 5,
        timeout: durationFromMs(200),
      },
      { headers: { authorization: `Bearer ${TOKEN}` } },
    );
    expect(empty.messages).toHaveLength(0);
    const acked = await client.ack(
      { channel: "svc", connectionId: pulled.connectionId, ackMessageIds: [id] },
      { headers: { authorization: `Bearer ${TOKEN}` } },
    );
    expect(acked.results.map((r) => [r.messageId, r.ok])).toEqual([[id, true]]);
    expect((await buffer.stats("svc")).queued).toBe(0);
  });

  it("refuses a nack for a message that is not leased, and rejects a stream without Hello", async () => {
    const { client } = await start();
    const result = await client.ack(
      {
        channel: "svc",
        nacks: [{ messageId: "00000000-0000-0000-0000-000000000000", retry: true }],
      },
      { headers: { authorization: `Bearer ${TOKEN}` } },
    );
    expect(result.results[0]?.ok).toBe(false);
    async function* noHello() {
      yield create(ConnectRequestSchema, { frame: { case: "heartbeat", value: {} } });
    }
    const responses = client.connect(noHello(), { headers: { authorization: `Bearer ${TOKEN}` } });
    await expect(
      (async () => {
        for await (const _ of responses) {
          /* drain */
        }
      })(),
    ).rejects.toSatisfy((e) => ConnectError.from(e).code === Code.InvalidArgument);
  });
});
