/**
 * The RabbitMQ buffer end to end with real processes (SPEC §7, issue #17):
 * several receiver processes on one broker serving one channel (ingest on
 * one, stream from another, ack anywhere), byte-exact delivery, a receiver
 * killed with SIGKILL while its connector holds leases, and a broker outage
 * (the shared broker behind a TCP proxy that is taken down and brought back
 * under a running receiver).
 */
import { afterAll } from "vitest";
import { createRabbitMqBuffer } from "../../receiver/buffer/rabbitmq/index.js";
import { closeRabbitMqAdmin, deleteRabbitMqChannels, RABBITMQ_URL } from "../helpers/rabbitmq.js";
import { serviceAvailable } from "../helpers/services.js";
import { startTcpProxy } from "../helpers/tcp-proxy.js";
import type { TopologyBackend } from "./topology.js";
import { describeOutage } from "./topology-outage.js";
import { describeSharedBroker } from "./topology-scenarios.js";

/** The RabbitMQ buffer at `url` for a world; cleanup deletes the channel's exchange and queues. */
function rabbitBackend(url: string): TopologyBackend {
  return {
    tag: "rq",
    bufferUrl: url,
    openBuffer: () => createRabbitMqBuffer({ url, name: "e2e-inspector" }),
    deleteChannel: (channel) => deleteRabbitMqChannels([channel]),
  };
}

afterAll(closeRabbitMqAdmin);

describeSharedBroker({
  name: "RabbitMQ",
  available: () => serviceAvailable("rabbitmq"),
  backend: rabbitBackend(RABBITMQ_URL),
  offline: { countsQueued: false },
  // max_in_flight is each group consumer's prefetch: A holds its 6 leases
  // and nothing more (3 held by its app, 3 prefetched), requeued by the
  // broker when A's connection dies; the other 6 were never leased.
  sigkill: { messages: 12, leases: 6, overrides: { max_in_flight: 6 } },
});

describeOutage({
  describe: "broker outage",
  brokerAway: "RabbitMQ is unreachable",
  available: () => serviceAvailable("rabbitmq"),
  async start() {
    const proxy = await startTcpProxy(5672);
    return {
      backend: rabbitBackend(`amqp://guest:guest@127.0.0.1:${proxy.port}`),
      down: () => proxy.stop(),
      up: () => proxy.start(),
      close: () => proxy.stop(),
    };
  },
  deleteChannel: true,
  logsConnection: false,
});
