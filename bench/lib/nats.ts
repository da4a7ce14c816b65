/**
 * The shared NATS server is used by other people at the same time: the
 * benchmark only touches the streams of its own, uniquely named channels
 * and deletes them (and their counters) when it is done.
 */
import { jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { connect } from "@nats-io/transport-node";
import {
  COUNTERS_BUCKET,
  channelStream,
  countersKey,
  deadLetterStream,
} from "../../receiver/buffer/jetstream/index.js";

/** true when a NATS server answers at `url` within a second. */
export async function natsReachable(url: string): Promise<boolean> {
  try {
    const nc = await connect({ servers: url, timeout: 1_000, reconnect: false });
    await nc.close();
    return true;
  } catch {
    return false;
  }
}

/** Deletes the channel and dead-letter streams and the counters of `channels`. */
export async function deleteChannelStreams(
  url: string,
  channels: readonly string[],
): Promise<void> {
  if (channels.length === 0) return;
  const nc = await connect({ servers: url, timeout: 2_000, reconnect: false });
  try {
    const jsm = await jetstreamManager(nc);
    for (const channel of channels) {
      for (const stream of [channelStream(channel), deadLetterStream(channel)]) {
        await jsm.streams.delete(stream).catch(() => false);
      }
    }
    const kv = await new Kvm(nc).open(COUNTERS_BUCKET).catch(() => undefined);
    if (kv !== undefined) {
      for (const channel of channels) await kv.purge(countersKey(channel)).catch(() => undefined);
    }
  } finally {
    await nc.close();
  }
}
