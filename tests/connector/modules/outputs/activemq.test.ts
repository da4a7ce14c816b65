/**
 * `activemq` against an in-test STOMP 1.2 server. The server parses frames
 * itself (not with the module's parser) and checks CONNECT, SEND and the
 * RECEIPT handshake.
 */
import { createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import {
  encodeFrame,
  StompParser,
} from "../../../../connector/modules/outputs/activemq/stomp-frame.js";
import { blobMessage, deliverFrom, jsonMessage, never, type TestDeliverer } from "../helpers.js";

interface Frame {
  command: string;
  headers: Array<[string, string]>;
  body: Buffer;
}

/** Reads frames that carry content-length (SEND) or none (CONNECT, DISCONNECT). */
function readFrames(buffer: Buffer): { frames: Frame[]; rest: Buffer } {
  const frames: Frame[] = [];
  let rest = buffer;
  for (;;) {
    while (rest[0] === 0x0a) rest = rest.subarray(1);
    const head = rest.indexOf("\n\n");
    if (head === -1) return { frames, rest };
    const [command, ...lines] = rest.subarray(0, head).toString("utf8").split("\n");
    const headers = lines.map(
      (l) => [l.slice(0, l.indexOf(":")), l.slice(l.indexOf(":") + 1)] as [string, string],
    );
    const length = headers.find(([n]) => n === "content-length");
    const end = length === undefined ? rest.indexOf(0, head + 2) : head + 2 + Number(length[1]);
    if (end === -1 || rest.length < end + 1) return { frames, rest };
    expect(rest[end]).toBe(0);
    frames.push({ command: command!, headers, body: Buffer.from(rest.subarray(head + 2, end)) });
    rest = rest.subarray(end + 1);
  }
}

const header = (frame: Frame, name: string) => frame.headers.find(([n]) => n === name)?.[1];

interface FakeBroker {
  port: number;
  frames: Frame[];
  connections: number;
  /** How the broker answers a SEND: a receipt, an ERROR, or silence. */
  onSend: "receipt" | "error" | "silent";
  close(): Promise<void>;
}

async function startBroker(): Promise<FakeBroker> {
  const sockets = new Set<Socket>();
  const broker: FakeBroker = {
    port: 0,
    frames: [],
    connections: 0,
    onSend: "receipt",
    close: async () => {},
  };
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    broker.connections += 1;
    let pending: Buffer = Buffer.alloc(0);
    socket.on("error", () => {});
    socket.on("data", (chunk: Buffer) => {
      const { frames, rest } = readFrames(Buffer.concat([pending, chunk]));
      pending = rest;
      for (const frame of frames) {
        broker.frames.push(frame);
        if (frame.command === "CONNECT") {
          const ok = header(frame, "login") === "app" && header(frame, "passcode") === "s3cret:x";
          socket.write(
            ok ? "CONNECTED\nversion:1.2\nheart-beat:0,0\n\n\0" : "ERROR\nmessage:bad login\n\n\0",
          );
        } else if (frame.command === "SEND") {
          const receipt = header(frame, "receipt") ?? "";
          if (broker.onSend === "receipt") socket.write(`RECEIPT\nreceipt-id:${receipt}\n\n\0\n`);
          if (broker.onSend === "error") {
            socket.end(`ERROR\nreceipt-id:${receipt}\nmessage:not allowed\n\nno write access\0`);
          }
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  broker.port = (server.address() as { port: number }).port;
  broker.close = () =>
    new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  return broker;
}

describe("activemq module against an in-test STOMP server", () => {
  const built: TestDeliverer[] = [];
  const brokers: FakeBroker[] = [];
  afterEach(async () => {
    for (const b of built.splice(0)) await b.close();
    for (const b of brokers.splice(0)) await b.close();
  });

  async function setup(moduleConfig: Record<string, unknown> = {}, password = "s3cret:x") {
    const broker = await startBroker();
    brokers.push(broker);
    const b = await deliverFrom(
      {
        hook: {
          data_type: "blob",
          module: "activemq",
          connection: "mq",
          "module-config": { destination: "webhooks", ...moduleConfig },
        },
      },
      {
        mq: {
          type: "activemq",
          host: "127.0.0.1",
          port: broker.port,
          username: "app",
          password,
          connect_timeout: 2,
        },
      },
    );
    built.push(b);
    return { broker, b };
  }

  it("CONNECTs once, SENDs body bytes with metadata and waits for the RECEIPT", async () => {
    const { broker, b } = await setup({ include_headers: true });
    const first = blobMessage(new Uint8Array([0, 10, 58, 255]));
    const second = jsonMessage({ n: 2 }, { webhookId: "hook" });
    expect(await b.deliverer.deliver(first, never)).toEqual({ kind: "ack" });
    expect(await b.deliverer.deliver(second, never)).toEqual({ kind: "ack" });
    expect(broker.connections).toBe(1);
    const [connect, ...sends] = broker.frames;
    expect(connect!.command).toBe("CONNECT");
    expect(header(connect!, "accept-version")).toBe("1.2");
    expect(header(connect!, "host")).toBe("127.0.0.1");
    expect(sends.map((f) => f.command)).toEqual(["SEND", "SEND"]);
    const send = sends[0]!;
    expect(header(send, "destination")).toBe("/queue/webhooks");
    expect(header(send, "persistent")).toBe("true");
    expect(header(send, "_AMQ_DUPL_ID")).toBe(first.messageId);
    expect(header(send, "webhook-message-id")).toBe(first.messageId);
    expect(header(send, "content-type")).toBe("application/octet-stream");
    expect(header(send, "receipt")).toMatch(/\S/);
    expect(new Uint8Array(send.body)).toEqual(first.body);
    expect(header(sends[1]!, "x-header-x-trace")).toBe("one");
    expect(header(sends[1]!, "receipt")).not.toBe(header(send, "receipt"));
  });

  it("an ERROR frame for the SEND is a retry, and the next delivery reconnects", async () => {
    const { broker, b } = await setup();
    broker.onSend = "error";
    const outcome = await b.deliverer.deliver(jsonMessage({}), never);
    expect(outcome).toMatchObject({ kind: "retry", reason: expect.stringMatching(/not allowed/) });
    broker.onSend = "receipt";
    expect(await b.deliverer.deliver(jsonMessage({}), never)).toEqual({ kind: "ack" });
    expect(broker.connections).toBe(2);
  });

  it("no RECEIPT within the timeout is a retry", async () => {
    const { broker, b } = await setup({ timeout: 0.2 });
    broker.onSend = "silent";
    expect((await b.deliverer.deliver(jsonMessage({}), never)).kind).toBe("retry");
  });

  it("a refused login and a closed port are retries", async () => {
    const { b } = await setup({}, "wrong");
    expect(await b.deliverer.deliver(jsonMessage({}), never)).toMatchObject({
      kind: "retry",
      reason: expect.stringMatching(/bad login/),
    });
    const closed = await deliverFrom(
      { hook: { module: "activemq", connection: "mq", "module-config": { destination: "q" } } },
      { mq: { type: "stomp", host: "127.0.0.1", port: 1 } },
    );
    built.push(closed);
    expect((await closed.deliverer.deliver(jsonMessage({}), never)).kind).toBe("retry");
  });

  it("frame codec: header values are escaped and parsed back, split across chunks", () => {
    const frame = encodeFrame(
      "SEND",
      [["x-a", "line1\nline2:colon\\back"]],
      Buffer.from("body\0with nul"),
    );
    const parser = new StompParser();
    const mid = Math.floor(frame.length / 2);
    expect(parser.push(frame.subarray(0, mid))).toEqual([]);
    const [parsed] = parser.push(Buffer.concat([frame.subarray(mid), Buffer.from("\n")]));
    expect(parsed!.headers.get("x-a")).toBe("line1\nline2:colon\\back");
    expect(parsed!.body.toString()).toBe("body\0with nul");
  });

  it("validates module-config", async () => {
    await expect(setup({ destination: "/queue/x" })).rejects.toThrow(/module-config\.destination/);
    await expect(setup({ destination_type: "exchange" })).rejects.toThrow(/destination_type/);
  });
});
