/**
 * RabbitMQ helpers for tests: the broker URL and cleanup of what a test's
 * channels and state keys left on the shared broker.
 */
import { type ChannelModel, connect } from "amqplib";
import {
  type ChannelRecord,
  channelExchange,
  deadLetterQueue,
  expiredQueue,
  groupQueue,
  lockQueue,
  metaQueue,
  retryQueue,
  STATE_QUEUE,
  withToken,
} from "../../receiver/buffer/rabbitmq/index.js";

/** The test broker. */
export const RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:5672";

let admin: Promise<ChannelModel> | undefined;

/** One connection for the cleanups of a test file; closed by closeRabbitMqAdmin. */
function adminConnection(): Promise<ChannelModel> {
  admin ??= connect(RABBITMQ_URL).then((model) => {
    model.on("error", () => undefined);
    model.on("close", () => {
      admin = undefined;
    });
    return model;
  });
  return admin;
}

/** Closes the cleanup connection (call in afterAll). */
export async function closeRabbitMqAdmin(): Promise<void> {
  const model = await admin?.catch(() => undefined);
  admin = undefined;
  await model?.close().catch(() => undefined);
}

/** Deletes the exchange and every queue of the channels. */
export async function deleteRabbitMqChannels(channels: readonly string[]): Promise<void> {
  const model = await adminConnection();
  const ch = await model.createChannel();
  try {
    for (const channel of channels) {
      const groups = new Map<string, Set<number>>([["default", new Set()]]);
      for (;;) {
        const message = await ch.get(metaQueue(channel), { noAck: true });
        if (message === false) break;
        const { value } = JSON.parse(message.content.toString("utf8")) as { value: ChannelRecord };
        for (const group of value.groups) groups.set(group, groups.get(group) ?? new Set());
        for (const [group, delays] of Object.entries(value.retryDelays)) {
          for (const delay of delays) groups.get(group)?.add(delay);
        }
      }
      for (const [group, delays] of groups) {
        await ch.deleteQueue(groupQueue(channel, group));
        for (const delay of delays) await ch.deleteQueue(retryQueue(channel, group, delay));
      }
      const meta = metaQueue(channel);
      for (const queue of [
        deadLetterQueue(channel),
        expiredQueue(channel),
        meta,
        lockQueue(meta),
      ]) {
        await ch.deleteQueue(queue);
      }
      await ch.deleteExchange(channelExchange(channel));
    }
  } finally {
    await ch.close().catch(() => undefined);
  }
}

/** Removes the state keys starting with `prefix`. */
export async function deleteRabbitMqStateKeys(prefix: string): Promise<void> {
  await withToken<Record<string, string>, void>(
    await adminConnection(),
    STATE_QUEUE,
    (values) => ({
      next: Object.fromEntries(
        Object.entries(values ?? {}).filter(([key]) => !key.startsWith(prefix)),
      ),
      result: undefined,
    }),
    5_000,
  );
}
