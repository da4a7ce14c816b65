/** The clean-up every RabbitMQ buffer test file ends with. */
import { closeRabbitMqAdmin, deleteRabbitMqStateKeys } from "../../helpers/rabbitmq.js";

/** Deletes the state keys the run wrote under `prefix`, then closes the admin connection. */
export async function closeRabbitMqAfterRun(prefix: string): Promise<void> {
  await deleteRabbitMqStateKeys(prefix);
  await closeRabbitMqAdmin();
}
