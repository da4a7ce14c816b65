import { jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serviceAvailable } from "../../../helpers/services.js";
import { deliverFrom, jsonMessage, never, uniqueName } from "../helpers.js";
import { hookEntry, outcomeOfOneDelivery } from "./one-hook.js";

const available = await serviceAvailable("nats");
const connections = { bus: { type: "nats", servers: "nats://127.0.0.1:4222" } };

describe.skipIf(!available)("nats module against the real server", () => {
  let nc: NatsConnection;
  beforeAll(async () => {
    nc = await connect({ servers: "127.0.0.1:4222" });
  });
  afterAll(() => nc.close());

  it("core publish carries the body and headers", async () => {
    const subject = `${uniqueName("wc")}.events`;
    const sub = nc.subscribe(subject, { max: 1 });
    await nc.flush();
    const b = await deliverFrom(
      { hook: { module: "nats", connection: "bus", "module-config": { subject } } },
      connections,
    );
    try {
      const message = jsonMessage({ hello: "nats" });
      expect(await b.deliverer.deliver(message, never)).toEqual({ kind: "ack" });
      for await (const msg of sub) {
        expect(Buffer.from(msg.data)).toEqual(Buffer.from(message.body));
        expect(msg.headers?.get("X-Webhook-Message-Id")).toBe(message.messageId);
        expect(msg.headers?.values("X-Trace")).toEqual(["one", "two"]);
      }
    } finally {
      await b.close();
    }
  });

  it("JetStream publish sets Nats-Msg-Id so a redelivery is stored once", async () => {
    const stream = uniqueName("WC");
    const subject = `${stream}.in`;
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: stream, subjects: [subject] });
    const b = await deliverFrom(
      {
        hook: {
          module: "nats",
          connection: "bus",
          "module-config": { subject, jetstream: true, stream },
        },
      },
      connections,
    );
    try {
      const message = jsonMessage({ js: 1 });
      expect(await b.deliverer.deliver(message, never)).toEqual({ kind: "ack" });
      expect(await b.deliverer.deliver(message, never)).toEqual({ kind: "ack" });
      const info = await jsm.streams.info(stream);
      expect(info.state.messages).toBe(1);
      const stored = await jsm.streams.getMessage(stream, { seq: 1 });
      expect(stored?.header.get("Nats-Msg-Id")).toBe(message.messageId);
      expect(Buffer.from(stored!.data)).toEqual(Buffer.from(message.body));
    } finally {
      await b.close();
      await jsm.streams.delete(stream);
    }
  });

  it("JetStream publish without a stream for the subject gives retry", async () => {
    const outcome = await outcomeOfOneDelivery(
      hookEntry("nats", "bus", {
        subject: `${uniqueName("nostream")}.x`,
        jetstream: true,
        timeout: 2,
      }),
      connections,
    );
    expect(outcome.kind).toBe("retry");
  });

  it("an unreachable server gives a retry outcome", async () => {
    const outcome = await outcomeOfOneDelivery(hookEntry("nats", "bus", { subject: "x" }), {
      bus: { type: "nats", servers: "nats://127.0.0.1:1", connect_timeout: 1 },
    });
    expect(outcome.kind).toBe("retry");
  });
});
