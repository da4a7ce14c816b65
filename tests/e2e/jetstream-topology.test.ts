import { connect } from "@nats-io/transport-node";
import { createJetStreamBuffer } from "../../receiver/buffer/jetstream/index.js";
import { deleteJetStreamChannels, NATS_URL } from "../helpers/jetstream.js";
import { natsServerAvailable, startNatsServer } from "../helpers/nats-server.js";
import { serviceAvailable } from "../helpers/services.js";
import { privateServerOutage } from "./private-broker-outage.js";
import type { TopologyBackend } from "./topology.js";
import { describeOutage } from "./topology-outage.js";
import { describeSharedBroker } from "./topology-scenarios.js";

/** The JetStream buffer at `url` for a world; cleanup deletes the channel's streams and counters. */
function natsBackend(url: string): TopologyBackend {
  return {
    tag: "js",
    bufferUrl: url,
    openBuffer: () => createJetStreamBuffer({ servers: url, name: "e2e-inspector" }),
    async deleteChannel(channel) {
      const nc = await connect({ servers: url, name: "e2e-cleanup" });
      try {
        await deleteJetStreamChannels(nc, [channel]);
      } finally {
        await nc.close();
      }
    },
  };
}

describeSharedBroker({
  name: "JetStream",
  available: () => serviceAvailable("nats"),
  backend: natsBackend(NATS_URL),
  // 3 deliveries at once and, with the connector's prefetch (4 × its
  // concurrency), 12 leases; the other 12 were never leased.
  sigkill: { messages: 24, leases: 12 },
});

describeOutage({
  describe: "broker outage (private nats-server)",
  brokerAway: "NATS is down",
  available: natsServerAvailable,
  start: async () => privateServerOutage(await startNatsServer(), natsBackend, "SIGTERM"),
  deleteChannel: false,
  logsConnection: true,
});
