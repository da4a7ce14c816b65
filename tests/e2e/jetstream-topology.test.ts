/**
 * The JetStream buffer end to end with real processes (SPEC §7, issue #3):
 * several receiver processes on one NATS serving one channel (ingest on one,
 * stream from another, ack anywhere), a receiver killed with SIGKILL while
 * its connector holds leases, and a broker outage against a private
 * nats-server that is stopped and started again under a running receiver.
 */
import { jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { connect } from "@nats-io/transport-node";
import {
  COUNTERS_BUCKET,
  channelStream,
  countersKey,
  createJetStreamBuffer,
  deadLetterStream,
} from "../../receiver/buffer/jetstream/index.js";
import { natsServerAvailable, startNatsServer } from "../helpers/nats-server.js";
import { serviceAvailable } from "../helpers/services.js";
import type { TopologyBackend } from "./topology.js";
import { describeOutage } from "./topology-outage.js";
import { describeSharedBroker } from "./topology-scenarios.js";

const SHARED_NATS = "nats://127.0.0.1:4222";

/** The JetStream buffer at `url` for a world; cleanup deletes the channel's streams and counters. */
function natsBackend(url: string): TopologyBackend {
  return {
    tag: "js",
    bufferUrl: url,
    openBuffer: () => createJetStreamBuffer({ servers: url, name: "e2e-inspector" }),
    async deleteChannel(channel) {
      const nc = await connect({ servers: url, name: "e2e-cleanup" });
      try {
        const jsm = await jetstreamManager(nc);
        for (const stream of [channelStream(channel), deadLetterStream(channel)]) {
          await jsm.streams.delete(stream).catch(() => undefined);
        }
        const counters = await new Kvm(nc).open(COUNTERS_BUCKET);
        await counters.purge(countersKey(channel)).catch(() => undefined);
      } finally {
        await nc.close();
      }
    },
  };
}

describeSharedBroker({
  name: "JetStream",
  available: () => serviceAvailable("nats"),
  backend: natsBackend(SHARED_NATS),
  // 3 deliveries at once and, with the connector's prefetch (4 × its
  // concurrency), 12 leases; the other 12 were never leased.
  sigkill: { messages: 24, leases: 12 },
});

describeOutage({
  describe: "broker outage (private nats-server)",
  brokerAway: "NATS is down",
  available: natsServerAvailable,
  async start() {
    const nats = await startNatsServer();
    return {
      backend: natsBackend(nats.url),
      down: () => nats.stop("SIGTERM"),
      up: () => nats.start(),
      close: () => nats.close(),
    };
  },
  deleteChannel: false,
  logsConnection: true,
});
