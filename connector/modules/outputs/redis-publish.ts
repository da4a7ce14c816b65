/**
 * `redis_publish`: PUBLISHes each message on a Redis channel — the JSON
 * envelope (metadata, headers, payload) by default, or the raw body bytes
 * with `format: "raw"`. Pub/sub keeps nothing, so a redelivery is
 * published again; subscribers de-duplicate by message_id.
 */
import { z } from "zod";
import { parseConfig } from "../config/parse.js";
import { boolLike, nonEmpty } from "../config/values.js";
import { publishPayload } from "../message/envelope.js";
import type { ModuleBuildContext, ModuleDefinition } from "../module-definition.js";
import type { OutputModule } from "../output-module.js";
import { createSendingModule } from "../sending-module.js";
import { ready, sharedRedis } from "./redis-client.js";

/** `module-config` of `redis_publish`. */
export const redisPublishOptionsSchema = z.strictObject({
  /** Pub/sub channel. */
  channel: nonEmpty,
  /** `json` (envelope) or `raw` (body bytes). @default "json" */
  format: z.enum(["json", "raw"]).default("json"),
  /** Include the request headers in the envelope. @default true */
  include_headers: boolLike.default(true),
});

function createRedisPublish(build: ModuleBuildContext): OutputModule {
  const options = parseConfig(
    redisPublishOptionsSchema,
    build.context.moduleConfig,
    build.location,
  );
  const client = sharedRedis(build);
  return createSendingModule({
    name: "redis_publish",
    prepare: (message) =>
      publishPayload(message, options.format, build.context.dataType, options.include_headers),
    send: async (data) => (await ready(client())).publish(options.channel, data),
  });
}

/** Registry entry of `redis_publish`. */
export const redisPublishModule: ModuleDefinition = {
  name: "redis_publish",
  aliases: ["redis-publish"],
  connectionTypes: ["redis"],
  connectionRequired: true,
  create: createRedisPublish,
};
