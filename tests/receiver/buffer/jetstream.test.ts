import { Kvm } from "@nats-io/kv";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll } from "vitest";
import {
  createJetStreamBuffer,
  STATE_BUCKET,
  stateKey,
} from "../../../receiver/buffer/jetstream/index.js";
import { describeBufferConformance } from "../../conformance/buffer.conformance.js";
import { RUN_ID } from "../../conformance/buffer-context.js";
import { deleteJetStreamChannels, NATS_URL } from "../../helpers/jetstream.js";
import { serviceAvailable } from "../../helpers/services.js";

const available = await serviceAvailable("nats");

let admin: NatsConnection | undefined;
async function adminConnection(): Promise<NatsConnection> {
  admin ??= await connect({ servers: NATS_URL, name: "jetstream-conformance-cleanup" });
  return admin;
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
  cleanup: async (_buffer, channels) => deleteJetStreamChannels(await adminConnection(), channels),
});
