/**
 * `redis_rq`: enqueues each message as a job a Python RQ worker runs:
 * `function(payload, headers)`, with the relay metadata in `job.meta`.
 * The job is written the way RQ itself writes one — hash `rq:job:<id>`
 * (zlib-compressed pickle of `(func_name, None, args, kwargs)` in `data`,
 * status `queued`, origin, timestamps, TTLs), its id pushed onto the list
 * `rq:queue:<name>`, the queue added to the set `rq:queues` — in one Lua
 * script. The job id is derived from the message_id and an existing job
 * is left alone, so a redelivery does not enqueue a second job.
 */
import { createHash } from "node:crypto";
import { deflateSync } from "node:zlib";
import { z } from "zod";
import type { WebhookMessage } from "../../../gen/webhookconnect/v1/message_pb.js";
import { parseConfig } from "../config/parse.js";
import { intLike, nonEmpty } from "../config/values.js";
import { decodeBody, headersObject, relayMetadata } from "../message/envelope.js";
import type { ModuleBuildContext, ModuleDefinition } from "../module-definition.js";
import type { OutputModule } from "../output-module.js";
import { createSendingModule } from "../sending-module.js";
import { fromJson, type Picklable, PickleTuple, pickle } from "./pickle.js";
import { ready, sharedRedis } from "./redis-client.js";

const FORBIDDEN_FUNCTION =
  /^(os|sys|subprocess|shutil|builtins|importlib|pickle|marshal|ctypes|socket|pty)(\.|$)|(^|\.)(eval|exec|compile|__import__|open|system|popen)$|__/;

/** `module-config` of `redis_rq`. */
export const redisRqOptionsSchema = z.strictObject({
  /** Dotted path of the Python function the worker calls with `(payload, headers)`. */
  function: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/, "expected a dotted Python name")
    .refine((name) => !FORBIDDEN_FUNCTION.test(name), "this function may not be called by jobs"),
  /** @default "default" */
  queue_name: nonEmpty.regex(/^[A-Za-z0-9._:-]{1,200}$/, "invalid queue name").default("default"),
  /** Job timeout in seconds. @default 180 */
  timeout: intLike.pipe(z.number().min(1)).default(180),
  /** Seconds the result is kept. @default 500 */
  result_ttl: intLike.pipe(z.number().min(-1)).default(500),
  /** Seconds a failed job is kept. @default 31536000 (one year, RQ's default) */
  failure_ttl: intLike.pipe(z.number().min(1)).default(31_536_000),
  /** Seconds the job may wait in the queue before it is discarded. */
  ttl: intLike.pipe(z.number().min(1)).optional(),
});
type RqOptions = z.output<typeof redisRqOptionsSchema>;

// KEYS: job hash, queue list, queue set. ARGV: job id, queue key, field/value pairs…
const ENQUEUE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
for i = 3, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('RPUSH', KEYS[2], ARGV[1])
redis.call('SADD', KEYS[3], ARGV[2])
return 1`;

/** RQ's `utcformat`: `YYYY-MM-DDTHH:MM:SS.ffffffZ`. */
export function rqTimestamp(date: Date): string {
  return `${date.toISOString().slice(0, 23)}000Z`;
}

/** The RQ job id for a message: the message_id when RQ accepts it, else a hash of it. */
export function rqJobId(messageId: string): string {
  if (/^[A-Za-z0-9_-]{1,128}$/.test(messageId)) return messageId;
  return createHash("sha256").update(messageId).digest("hex").slice(0, 40);
}

/** The fields of the job hash for `message`. */
export function rqJobFields(
  message: WebhookMessage,
  dataType: "json" | "blob",
  options: RqOptions,
  now: Date,
): Array<[string, string | Buffer]> {
  const body = decodeBody(message, dataType);
  const payload: Picklable = body.kind === "json" ? fromJson(body.value) : body.value;
  const args = new PickleTuple([payload, headersObject(message)]);
  const data = deflateSync(pickle(new PickleTuple([options.function, null, args, {}])));
  const meta = pickle({ ...relayMetadata(message) });
  const fields: Array<[string, string | Buffer]> = [
    ["created_at", rqTimestamp(now)],
    ["data", data],
    ["success_callback_name", ""],
    ["failure_callback_name", ""],
    ["stopped_callback_name", ""],
    ["started_at", ""],
    ["ended_at", ""],
    ["last_heartbeat", ""],
    ["worker_name", ""],
    ["origin", options.queue_name],
    ["description", `${options.function}(payload, headers) for message ${message.messageId}`],
    ["enqueued_at", rqTimestamp(now)],
    ["timeout", String(options.timeout)],
    ["result_ttl", String(options.result_ttl)],
    ["failure_ttl", String(options.failure_ttl)],
    ["status", "queued"],
    ["meta", meta],
  ];
  if (options.ttl !== undefined) fields.push(["ttl", String(options.ttl)]);
  return fields;
}

function createRedisRq(build: ModuleBuildContext): OutputModule {
  const options = parseConfig(redisRqOptionsSchema, build.context.moduleConfig, build.location);
  const client = sharedRedis(build);
  const queueKey = `rq:queue:${options.queue_name}`;
  return createSendingModule({
    name: "redis_rq",
    prepare: (message) => ({
      jobId: rqJobId(message.messageId),
      fields: rqJobFields(message, build.context.dataType, options, new Date()),
    }),
    async send({ jobId, fields }) {
      const redis = await ready(client());
      await redis.eval(
        ENQUEUE,
        3,
        `rq:job:${jobId}`,
        queueKey,
        "rq:queues",
        jobId,
        queueKey,
        ...fields.flat(),
      );
    },
  });
}

/** Registry entry of `redis_rq`. */
export const redisRqModule: ModuleDefinition = {
  name: "redis_rq",
  aliases: ["redis-rq"],
  connectionTypes: ["redis"],
  connectionRequired: true,
  create: createRedisRq,
};
