import { execFileSync } from "node:child_process";
import { inflateSync } from "node:zlib";
import { Redis } from "ioredis";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { serviceAvailable } from "../../../helpers/services.js";
import { deliverFrom, jsonMessage, never, type TestDeliverer, uniqueName } from "../helpers.js";

const available = await serviceAvailable("redis");
const connections = { cache: { type: "redis", host: "127.0.0.1", port: 6379, db: 0 } };

function pythonAvailable(): boolean {
  try {
    execFileSync("python3", ["-c", "import pickle, json"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** Unpickles with CPython and returns the value as JSON (bytes as lists). */
function unpickle(bytes: Buffer): unknown {
  const script =
    "import sys, pickle, json\n" +
    "v = pickle.loads(sys.stdin.buffer.read())\n" +
    "def conv(x):\n" +
    "    if isinstance(x, tuple): return {'tuple': [conv(i) for i in x]}\n" +
    "    if isinstance(x, list): return [conv(i) for i in x]\n" +
    "    if isinstance(x, dict): return {k: conv(i) for k, i in x.items()}\n" +
    "    if isinstance(x, bytes): return {'bytes': list(x)}\n" +
    "    return x\n" +
    "print(json.dumps(conv(v)))";
  return JSON.parse(execFileSync("python3", ["-c", script], { input: bytes }).toString("utf8"));
}

describe.skipIf(!available)("redis modules against the real server", () => {
  const redis = new Redis({ host: "127.0.0.1", port: 6379, lazyConnect: true });
  const built: TestDeliverer[] = [];
  const keys: string[] = [];
  afterEach(async () => {
    for (const b of built.splice(0)) await b.close();
    if (keys.length > 0) await redis.del(...keys.splice(0));
  });
  afterAll(() => redis.quit());

  it("redis_publish sends the JSON envelope to subscribers", async () => {
    const channel = uniqueName("wc_pub");
    const subscriber = new Redis({ host: "127.0.0.1", port: 6379 });
    try {
      await subscriber.subscribe(channel);
      const received = new Promise<string>((resolve) =>
        subscriber.on("message", (_c, m: string) => resolve(m)),
      );
      const b = await deliverFrom(
        { hook: { module: "redis_publish", connection: "cache", "module-config": { channel } } },
        connections,
      );
      built.push(b);
      const message = jsonMessage({ event: "x", n: 1 });
      expect(await b.deliverer.deliver(message, never)).toEqual({ kind: "ack" });
      const envelope = JSON.parse(await received) as Record<string, unknown>;
      expect(envelope).toMatchObject({
        message_id: message.messageId,
        webhook_id: "hook",
        payload: { event: "x", n: 1 },
        headers: { "content-type": "application/json" },
      });
    } finally {
      subscriber.disconnect();
    }
  });

  it("redis_publish with format raw sends the body bytes", async () => {
    const channel = uniqueName("wc_raw");
    const subscriber = new Redis({ host: "127.0.0.1", port: 6379 });
    try {
      await subscriber.subscribe(channel);
      const received = new Promise<Buffer>((resolve) =>
        subscriber.on("messageBuffer", (_c, m: Buffer) => resolve(m)),
      );
      const b = await deliverFrom(
        {
          hook: {
            module: "redis_publish",
            connection: "cache",
            "module-config": { channel, format: "raw" },
          },
        },
        connections,
      );
      built.push(b);
      const message = jsonMessage({ keep: "exact" });
      await b.deliverer.deliver(message, never);
      expect(await received).toEqual(Buffer.from(message.body));
    } finally {
      subscriber.disconnect();
    }
  });

  it("redis_rq writes an RQ job hash and queue entry; redelivery adds no job", async () => {
    const queue = uniqueName("wc_rq");
    const b = await deliverFrom(
      {
        hook: {
          module: "redis_rq",
          connection: "cache",
          "module-config": { queue_name: queue, function: "myapp.tasks.process_webhook" },
        },
      },
      connections,
    );
    built.push(b);
    const message = jsonMessage({ event: "paid", amount: 5, tags: ["a"], ok: true, none: null });
    const jobKey = `rq:job:${message.messageId}`;
    keys.push(jobKey, `rq:queue:${queue}`);
    expect(await b.deliverer.deliver(message, never)).toEqual({ kind: "ack" });
    expect(await b.deliverer.deliver(message, never)).toEqual({ kind: "ack" });
    expect(await redis.lrange(`rq:queue:${queue}`, 0, -1)).toEqual([message.messageId]);
    expect(await redis.sismember("rq:queues", `rq:queue:${queue}`)).toBe(1);
    const job = await redis.hgetallBuffer(jobKey);
    expect(job["status"]?.toString()).toBe("queued");
    expect(job["origin"]?.toString()).toBe(queue);
    expect(job["created_at"]?.toString()).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(job["timeout"]?.toString()).toBe("180");
    await redis.srem("rq:queues", `rq:queue:${queue}`);
    if (!pythonAvailable()) return;
    expect(unpickle(inflateSync(job["data"]!))).toEqual({
      tuple: [
        "myapp.tasks.process_webhook",
        null,
        {
          tuple: [
            { event: "paid", amount: 5, tags: ["a"], ok: true, none: null },
            {
              "content-type": "application/json",
              "x-signature": "sha256=abc",
              "x-trace": "one, two",
            },
          ],
        },
        {},
      ],
    });
    expect(unpickle(job["meta"]!)).toMatchObject({
      message_id: message.messageId,
      webhook_id: "hook",
    });
  });

  it("rejects a dangerous RQ function at start-up", async () => {
    const error = await deliverFrom(
      {
        hook: {
          module: "redis_rq",
          connection: "cache",
          "module-config": { function: "os.system" },
        },
      },
      connections,
    ).catch((e: unknown) => e as Error);
    expect(String(error)).toContain("hook.module-config.function");
  });

  it("an unreachable Redis gives a retry outcome", async () => {
    const b = await deliverFrom(
      { hook: { module: "redis_publish", connection: "cache", "module-config": { channel: "x" } } },
      { cache: { type: "redis-publish", host: "127.0.0.1", port: 1 } },
    );
    built.push(b);
    expect((await b.deliverer.deliver(jsonMessage({}), never)).kind).toBe("retry");
  });
});
