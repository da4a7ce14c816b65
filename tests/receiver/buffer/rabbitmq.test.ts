/**
 * The shared buffer conformance suite against the RabbitMQ backend on the
 * real broker (127.0.0.1:5672, guest/guest). Every test's exchanges and
 * queues are deleted afterwards; the run's state keys in afterAll.
 */
import { afterAll } from "vitest";
import { createRabbitMqBuffer } from "../../../receiver/buffer/rabbitmq/index.js";
import { describeBufferConformance } from "../../conformance/buffer.conformance.js";
import { RUN_ID } from "../../conformance/buffer-context.js";
import {
  closeRabbitMqAdmin,
  deleteRabbitMqChannels,
  deleteRabbitMqStateKeys,
  RABBITMQ_URL,
} from "../../helpers/rabbitmq.js";
import { serviceAvailable } from "../../helpers/services.js";

const available = await serviceAvailable("rabbitmq");

afterAll(async () => {
  if (!available) return;
  // The suite's state keys are `conformance/<run>/<pid>/<n>`.
  await deleteRabbitMqStateKeys(`conformance/${RUN_ID}/${process.pid}/`);
  await closeRabbitMqAdmin();
});

describeBufferConformance({
  name: "rabbitmq",
  skip: !available,
  features: { sharedAcrossProcesses: true, durableAcrossRestart: true },
  create: () => createRabbitMqBuffer({ url: RABBITMQ_URL }),
  reopen: () => createRabbitMqBuffer({ url: RABBITMQ_URL }),
  cleanup: (_buffer, channels) => deleteRabbitMqChannels(channels),
});
