/**
 * The shared buffer conformance suite against the RabbitMQ backend on the
 * real broker (127.0.0.1:5672, guest/guest). Every test's exchanges and
 * queues are deleted afterwards; the run's state keys in afterAll.
 */
import { afterAll } from "vitest";
import { createRabbitMqBuffer } from "../../../receiver/buffer/rabbitmq/index.js";
import { deleteRabbitMqChannels, RABBITMQ_URL } from "../../helpers/rabbitmq.js";
import { serviceAvailable } from "../../helpers/services.js";
import { closeRabbitMqAfterRun } from "./rabbitmq-cleanup.js";
import { CONFORMANCE_STATE_PREFIX, describeServerBufferConformance } from "./server-conformance.js";

const available = await serviceAvailable("rabbitmq");

afterAll(async () => {
  if (available) await closeRabbitMqAfterRun(CONFORMANCE_STATE_PREFIX);
});

describeServerBufferConformance({
  name: "rabbitmq",
  available,
  open: () => createRabbitMqBuffer({ url: RABBITMQ_URL }),
  cleanup: deleteRabbitMqChannels,
});
