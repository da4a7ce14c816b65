import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import type { Deliverer } from "../../../connector/delivery/deliverer.js";
import { createDeliveryTracker } from "../../../connector/runner/deliveries.js";
import type { Slots } from "../../../connector/runner/slots.js";
import type { RelaySession } from "../../../connector/transport/transport.js";
import { WebhookMessageSchema } from "../../../gen/webhookconnect/v1/message_pb.js";

function setUp(remember: number) {
  const delivered: string[] = [];
  const acked: string[] = [];
  const deliverer: Deliverer = {
    async deliver(message) {
      delivered.push(message.messageId);
      return { kind: "ack" };
    },
    async close() {},
  };
  const slots = { release() {} } as unknown as Slots;
  const tracker = createDeliveryTracker({
    deliverer,
    slots,
    signal: new AbortController().signal,
    emit: () => undefined,
    rememberDelivered: remember,
  });
  tracker.attach({
    ack: (id: string) => {
      acked.push(id);
      return true;
    },
    nack: () => true,
  } as unknown as RelaySession);
  const accept = async (id: string) => {
    tracker.accept(create(WebhookMessageSchema, { messageId: id }));
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { delivered, acked, accept };
}

describe("delivery tracker", () => {
  it("acks a redelivery of a recently delivered message without delivering it again", async () => {
    const { delivered, acked, accept } = setUp(3);
    await accept("a");
    await accept("a");
    expect(delivered).toEqual(["a"]);
    expect(acked).toEqual(["a", "a"]);
  });

  it("remembers exactly the last N delivered ids, oldest forgotten first", async () => {
    const { delivered, accept } = setUp(3);
    for (const id of ["a", "b", "c", "d"]) await accept(id);
    // "a" fell out of the window of 3; "b", "c", "d" are still known.
    for (const id of ["b", "c", "d", "a"]) await accept(id);
    expect(delivered).toEqual(["a", "b", "c", "d", "a"]);
    // Delivering "a" again evicted "b"; the window is now c, d, a. "e" evicts "c".
    await accept("e");
    for (const id of ["d", "a", "e", "c"]) await accept(id);
    expect(delivered).toEqual(["a", "b", "c", "d", "a", "e", "c"]);
  });
});
