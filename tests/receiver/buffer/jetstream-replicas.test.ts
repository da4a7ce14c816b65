/**
 * `replicas` above 1 on a single nats-server (not a cluster) is refused
 * when the buffer opens, with the reason NATS gave, before anything is
 * created or changed. The cluster cases run in
 * tests/e2e/jetstream-cluster.test.ts.
 */
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { describe, expect, it } from "vitest";
import {
  COUNTERS_BUCKET,
  createJetStreamBuffer,
  ReplicasUnavailableError,
  STATE_BUCKET,
} from "../../../receiver/buffer/jetstream/index.js";
import { NATS_URL } from "../../helpers/jetstream.js";
import { serviceAvailable } from "../../helpers/services.js";

const available = await serviceAvailable("nats");

describe.skipIf(!available)("jetstream replicas on a single server", () => {
  it("refuses replicas=3 with one clear reason and leaves the buckets as they were", async () => {
    const nc = await connect({ servers: NATS_URL, name: "jetstream-replicas-test" });
    try {
      const opening = createJetStreamBuffer({ servers: NATS_URL, replicas: 3 });
      await expect(opening).rejects.toBeInstanceOf(ReplicasUnavailableError);
      await expect(opening).rejects.toThrow(
        /^replicas=3 needs 3 JetStream servers up in one NATS cluster, and NATS refused: replicas > 1 not supported in non-clustered mode \(lower replicas= or add servers\)$/,
      );
      // The shared server's buckets (made by other tests, if any yet) keep one copy.
      const jsm = await jetstreamManager(nc);
      for (const bucket of [STATE_BUCKET, COUNTERS_BUCKET]) {
        const replicas = await jsm.streams
          .info(`KV_${bucket}`)
          .then((info) => info.config.num_replicas)
          .catch(() => 1);
        expect(replicas, bucket).toBe(1);
      }
    } finally {
      await nc.close();
    }
  });
});
