/**
 * Polyglot proof: a client built only from proto/ with @grpc/grpc-js and
 * @grpc/proto-loader (no Connect, no generated TypeScript) — what a
 * connector in another language does — subscribes over the bidi Connect
 * call, receives a message byte-exact and acks it.
 */
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { describe, expect, it } from "vitest";
import { useTestReceivers } from "./harness.js";

const protoDir = fileURLToPath(new URL("../../../proto", import.meta.url));

interface Frame {
  welcome?: { connection_id: string; channel: string; max_in_flight: number };
  message?: {
    message_id: string;
    body: Buffer;
    delivery_attempt: number;
    headers: { name: string; value: string }[];
  };
  heartbeat?: object;
  notice?: { code: string };
}

type BidiStream = grpc.ClientDuplexStream<object, Frame>;

function loadRelayService() {
  const definition = protoLoader.loadSync("webhookconnect/v1/relay.proto", {
    includeDirs: [protoDir],
    keepCase: true,
    longs: String,
    defaults: true,
    oneofs: true,
  });
  const root = grpc.loadPackageDefinition(definition) as unknown as {
    webhookconnect: { v1: { RelayService: grpc.ServiceClientConstructor } };
  };
  return root.webhookconnect.v1.RelayService;
}

function nextFrame(stream: BidiStream, want: keyof Frame): Promise<Frame> {
  return new Promise((resolve, reject) => {
    const onData = (frame: Frame) => {
      if (frame[want] === undefined) return;
      stream.off("data", onData);
      resolve(frame);
    };
    stream.on("data", onData);
    stream.once("error", reject);
  });
}

/** Opens the bidi Connect call to `url` through a grpc-js client built from proto/, with `token` as bearer. */
function openConnect(url: string, token: string) {
  const RelayService = loadRelayService();
  const client = new RelayService(
    url.replace("http://", ""),
    grpc.credentials.createInsecure(),
  ) as unknown as grpc.Client & { Connect(metadata: grpc.Metadata): BidiStream };
  const metadata = new grpc.Metadata();
  metadata.set("authorization", `Bearer ${token}`);
  return { client, stream: client.Connect(metadata) };
}

const start = useTestReceivers();

describe("a grpc-js client built from proto/ only", () => {
  it("connects, receives and acks over the bidi Connect call", async () => {
    const r = await start();
    const { client, stream } = openConnect(r.url, "tok");
    stream.on("error", () => undefined);
    try {
      const welcomed = nextFrame(stream, "welcome");
      stream.write({ hello: { channel: "ch", connector_id: "grpc-js", max_in_flight: 5 } });
      const welcome = (await welcomed).welcome!;
      expect(welcome.channel).toBe("ch");
      expect(welcome.max_in_flight).toBe(5);
      expect(welcome.connection_id).not.toBe("");

      const body = Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x31, 0x7d]);
      const received = nextFrame(stream, "message");
      const id = await r.send("json_hook", body);
      const message = (await received).message!;
      expect(message.message_id).toBe(id);
      expect(Buffer.from(message.body).equals(body)).toBe(true);
      expect(message.delivery_attempt).toBe(1);
      expect(message.headers).toContainEqual({ name: "X-Test", value: "yes" });

      stream.write({ ack: { message_ids: [id] } });
      await expect.poll(async () => (await r.buffer.stats("ch")).delivered).toBe(1);
      expect((await r.buffer.stats("ch")).inFlight).toBe(0);
    } finally {
      stream.end();
      client.close();
    }
  });

  it("is refused with UNAUTHENTICATED for a wrong token", async () => {
    const r = await start();
    const { client, stream } = openConnect(r.url, "wrong");
    const failed = new Promise<grpc.ServiceError>((resolve) => stream.once("error", resolve));
    stream.write({ hello: { channel: "ch", connector_id: "grpc-js" } });
    expect((await failed).code).toBe(grpc.status.UNAUTHENTICATED);
    client.close();
  });
});
