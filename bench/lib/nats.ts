/**
 * The shared NATS server is used by other people at the same time: the
 * benchmark only touches its own, uniquely named streams (channels and the
 * JetStream anchor's) and deletes them (and their counters) when it is done.
 */
import { randomUUID } from "node:crypto";
import { jetstreamManager, RetentionPolicy, StorageType } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { connect } from "@nats-io/transport-node";
import {
  COUNTERS_BUCKET,
  channelStream,
  countersKey,
  deadLetterStream,
} from "../../receiver/buffer/jetstream/index.js";
import { onCleanup } from "./children.js";

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

/** A stream of the benchmark's own. */
export interface BenchStream {
  readonly name: string;
  /** The one subject it stores. */
  readonly subject: string;
}

/**
 * Creates a uniquely named file-storage stream for the JetStream anchor
 * (one replica, limits retention, no consumer) and registers its deletion
 * as a clean-up hook.
 */
export async function createBenchStream(url: string): Promise<BenchStream> {
  const id = randomUUID().slice(0, 8);
  const stream = { name: `BENCH_ANCHOR_${id}`, subject: `bench.anchor.${id}` };
  const nc = await connect({ servers: url, timeout: 2_000, reconnect: false });
  try {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({
      name: stream.name,
      subjects: [stream.subject],
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      num_replicas: 1,
    });
  } finally {
    await nc.close();
  }
  onCleanup(() => deleteStream(url, stream.name));
  return stream;
}

async function deleteStream(url: string, name: string): Promise<void> {
  const nc = await connect({ servers: url, timeout: 2_000, reconnect: false });
  try {
    await (await jetstreamManager(nc)).streams.delete(name);
  } finally {
    await nc.close();
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
