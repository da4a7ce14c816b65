/**
 * The shared buffer conformance suite against the NATS JetStream backend on
 * the real server (127.0.0.1:4222). Every test's streams and counters are
 * deleted afterwards; the run's state keys in afterAll.
 */
import { jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll } from "vitest";
import {
  COUNTERS_BUCKET,
  channelStream,
  countersKey,
  createJetStreamBuffer,
  deadLetterStream,
  STATE_BUCKET,
  stateKey,
} from "../../../receiver/buffer/jetstream/index.js";
import { describeBufferConformance } from "../../conformance/buffer.conformance.js";
import { RUN_ID } from "../../conformance/buffer-context.js";
import { serviceAvailable } from "../../helpers/services.js";

const NATS_URL = "nats://127.0.0.1:4222";
const available = await serviceAvailable("nats");

let admin: NatsConnection | undefined;
async function adminConnection(): Promise<NatsConnection> {
  admin ??= await connect({ servers: NATS_URL, name: "jetstream-conformance-cleanup" });
  return admin;
}

async function deleteChannels(channels: readonly string[]): Promise<void> {
  const nc = await adminConnection();
  const jsm = await jetstreamManager(nc);
  const counters = await new Kvm(nc).open(COUNTERS_BUCKET);
  for (const channel of channels) {
    for (const stream of [channelStream(channel), deadLetterStream(channel)]) {
      await jsm.streams.delete(stream).catch(() => undefined);
    }
    await counters.purge(countersKey(channel)).catch(() => undefined);
  }
}

afterAll(async () => {
  if (!available) return;
  const nc = await adminConnection();
  const state = await new Kvm(nc).open(STATE_BUCKET);
  // The suite's state keys are `conformance/<run>/<pid>/<n>`.
  const prefix = stateKey(`conformance/${RUN_ID}/${process.pid}/`).slice(0, -4);
  const ours: string[] = [];
  for await (const key of await state.keys()) if (key.startsWith(prefix)) ours.push(key);
  for (const key of ours) await state.purge(key);
  await nc.close();
});

describeBufferConformance({
  name: "jetstream",
  skip: !available,
  features: { sharedAcrossProcesses: true, durableAcrossRestart: true },
  create: () => createJetStreamBuffer({ servers: NATS_URL }),
  reopen: () => createJetStreamBuffer({ servers: NATS_URL }),
  cleanup: (_buffer, channels) => deleteChannels(channels),
});
