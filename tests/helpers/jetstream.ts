/**
 * The shared NATS server with JetStream (127.0.0.1:4222) and the cleanup
 * of what a test's channels leave on it: their message and dead-letter
 * streams and their counters.
 */
import { jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import {
  COUNTERS_BUCKET,
  channelStream,
  countersKey,
  deadLetterStream,
} from "../../receiver/buffer/jetstream/index.js";

/** The shared server's client URL. */
export const NATS_URL = "nats://127.0.0.1:4222";

/** Deletes the streams and counters of `channels` through `nc`; what is already gone is skipped. */
export async function deleteJetStreamChannels(
  nc: NatsConnection,
  channels: readonly string[],
): Promise<void> {
  const jsm = await jetstreamManager(nc);
  const counters = await new Kvm(nc).open(COUNTERS_BUCKET);
  for (const channel of channels) {
    for (const stream of [channelStream(channel), deadLetterStream(channel)]) {
      await jsm.streams.delete(stream).catch(() => undefined);
    }
    await counters.purge(countersKey(channel)).catch(() => undefined);
  }
}
