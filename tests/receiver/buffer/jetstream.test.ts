import { Kvm } from "@nats-io/kv";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll } from "vitest";
import {
  createJetStreamBuffer,
  STATE_BUCKET,
  stateKey,
} from "../../../receiver/buffer/jetstream/index.js";
import { deleteJetStreamChannels, NATS_URL } from "../../helpers/jetstream.js";
import { serviceAvailable } from "../../helpers/services.js";
import { CONFORMANCE_STATE_PREFIX, describeServerBufferConformance } from "./server-conformance.js";

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
  const prefix = stateKey(CONFORMANCE_STATE_PREFIX).slice(0, -4);
  const ours: string[] = [];
  for await (const key of await state.keys()) if (key.startsWith(prefix)) ours.push(key);
  for (const key of ours) await state.purge(key);
  await nc.close();
});

describeServerBufferConformance({
  name: "jetstream",
  available,
  open: () => createJetStreamBuffer({ servers: NATS_URL }),
  cleanup: async (channels) => deleteJetStreamChannels(await adminConnection(), channels),
});
