/**
 * `zeromq`: sends each message as a multipart ZeroMQ message on a PUSH or
 * PUB socket: `[topic,] metadata JSON, body bytes` (topic frame on PUB
 * only). The metadata frame carries the message_id, which receivers use
 * to de-duplicate: ZeroMQ has no acknowledgements, so "delivered" means
 * ZeroMQ queued the message for a connected peer (PUSH waits up to
 * `timeout` for one, then the delivery is retried; PUB drops messages
 * nobody subscribes to). One socket per module.
 */
import { Publisher, Push } from "zeromq";
import { z } from "zod";
import type { WebhookMessage } from "../../../gen/webhookconnect/v1/message_pb.js";
import { childLocation, configError, parseConfig } from "../config/parse.js";
import { boolLike, intLike, secondsLike } from "../config/values.js";
import { relayMetadata } from "../message/envelope.js";
import { toDeliveryError } from "../message/failure.js";
import type { ModuleBuildContext, ModuleDefinition } from "../module-definition.js";
import type { OutputModule } from "../output-module.js";

/** `module-config` of `zeromq`. */
export const zeromqOptionsSchema = z.strictObject({
  /** Endpoint, e.g. `tcp://127.0.0.1:5555` or `ipc:///run/hooks.sock`. */
  endpoint: z.string().regex(/^(tcp|ipc):\/\/\S+$/, "expected tcp://host:port or ipc://path"),
  /** `push` (load-balanced to pullers) or `pub` (to every subscriber). @default "push" */
  socket_type: z.enum(["push", "pub"]).default("push"),
  /** Bind the endpoint instead of connecting to it. @default false */
  bind: boolLike.default(false),
  /** First frame on a PUB socket (subscribers filter on it). @default the webhook id */
  topic: z.string().min(1).max(255).optional(),
  /** Messages queued per peer before sends wait. @default 1000 */
  high_water_mark: intLike.pipe(z.number().min(1)).default(1000),
  /** Seconds a send may wait for a peer / queue space. @default 10 */
  timeout: secondsLike.default(10),
});
/** Parsed `zeromq` options. */
export type ZeromqOptions = z.output<typeof zeromqOptionsSchema>;

/** The frames sent for `message`. */
export function zeromqFramesFor(message: WebhookMessage, options: ZeromqOptions): Array<Buffer> {
  const frames = [Buffer.from(JSON.stringify(relayMetadata(message))), Buffer.from(message.body)];
  if (options.socket_type === "pub")
    frames.unshift(Buffer.from(options.topic ?? message.webhookId));
  return frames;
}

function createZeromq(build: ModuleBuildContext): OutputModule {
  const options = parseConfig(zeromqOptionsSchema, build.context.moduleConfig, build.location);
  if (options.socket_type === "push" && options.topic !== undefined) {
    configError(childLocation(build.location, "topic"), "only for socket_type 'pub'");
  }
  const timeoutMs = Math.round(options.timeout * 1000);
  let socket: Promise<Push | Publisher> | undefined;
  // zeromq.js allows one send in flight per socket: sends are chained.
  let queue: Promise<unknown> = Promise.resolve();

  function open(): Promise<Push | Publisher> {
    socket ??= (async () => {
      // `immediate`: queue only to completed connections, so with no peer
      // the send times out (a retry) instead of being acked into a void.
      const settings = {
        sendHighWaterMark: options.high_water_mark,
        sendTimeout: timeoutMs,
        linger: 0,
        immediate: true,
      };
      const created = options.socket_type === "push" ? new Push(settings) : new Publisher(settings);
      if (options.bind) await created.bind(options.endpoint);
      else created.connect(options.endpoint);
      return created;
    })();
    socket.catch(() => {
      socket = undefined;
    });
    return socket;
  }

  return {
    name: "zeromq",
    async deliver(message) {
      const frames = zeromqFramesFor(message, options);
      const sent = queue.then(async () => (await open()).send(frames));
      queue = sent.catch(() => {});
      try {
        await sent;
      } catch (error) {
        throw toDeliveryError("zeromq", error, true);
      }
    },
    async close() {
      const current = socket;
      socket = undefined;
      await queue;
      (await current?.catch(() => undefined))?.close();
    },
  };
}

/** Registry entry of `zeromq`. */
export const zeromqModule: ModuleDefinition = {
  name: "zeromq",
  aliases: ["zmq"],
  connectionTypes: [],
  connectionRequired: false,
  create: createZeromq,
};
