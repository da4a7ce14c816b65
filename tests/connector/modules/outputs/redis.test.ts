import { execFileSync } from "node:child_process";
import { inflateSync } from "node:zlib";
import { Redis } from "ioredis";
import { afterAll, afterEach, describe, expect, it, onTestFinished } from "vitest";
import { serviceAvailable } from "../../../helpers/services.js";
import { deliverFrom, jsonMessage, never, type TestDeliverer, uniqueName } from "../helpers.js";
import { hookEntry, outcomeOfOneDelivery } from "./one-hook.js";

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

  /** Builds the "hook" deliverer of `module` on the shared Redis; closed after the test. */
  async function build(module: string, moduleConfig: Record<string, unknown>) {
    const b = await deliverFrom(hookEntry(module, "cache", moduleConfig), connections);
    built.push(b);
    return b;
  }

  /** Subscribes a client of its own to `channel`; `first` resolves with the first message's bytes. */
  async function subscribe(channel: string): Promise<{ first: Promise<Buffer> }> {
    const subscriber = new Redis({ host: "127.0.0.1", port: 6379 });
    onTestFinished(() => subscriber.disconnect());
    await subscriber.subscribe(channel);
    const first = new Promise<Buffer>((resolve) =>
      subscriber.on("messageBuffer", (_c, m: Buffer) => resolve(m)),
    );
    return { first };
  }

  it("redis_publish sends the JSON envelope to subscribers", async () => {
    const channel = uniqueName("wc_pub");
    const { first: received } = await subscribe(channel);
    const b = await build("redis_publish", { channel });
    const message = jsonMessage({ event: "x", n: 1 });
    expect(await b.deliverer.deliver(message, never)).toEqual({ kind: "ack" });
    const envelope = JSON.parse((await received).toString("utf8")) as Record<string, unknown>;
    expect(envelope).toMatchObject({
      message_id: message.messageId,
      webhook_id: "hook",
      payload: { event: "x", n: 1 },
      headers: { "content-type": "application/json" },
    });
  });

  it("redis_publish with format raw sends the body bytes", async () => {
    const channel = uniqueName("wc_raw");
    const { first: received } = await subscribe(channel);
    const b = await build("redis_publish", { channel, format: "raw" });
    const message = jsonMessage({ keep: "exact" });
    await b.deliverer.deliver(message, never);
    expect(await received).toEqual(Buffer.from(message.body));
  });

  it("redis_rq writes an RQ job hash and queue entry; redelivery adds no job", async () => {
    const queue = uniqueName("wc_rq");
    const b = await build("redis_rq", {
      queue_name: queue,
      function: "myapp.tasks.process_webhook",
    });
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
      hookEntry("redis_rq", "cache", { function: "os.system" }),
      connections,
    ).catch((e: unknown) => e as Error);
    expect(String(error)).toContain("hook.module-config.function");
  });

  it("an unreachable Redis gives a retry outcome", async () => {
    const outcome = await outcomeOfOneDelivery(
      hookEntry("redis_publish", "cache", { channel: "x" }),
      { cache: { type: "redis-publish", host: "127.0.0.1", port: 1 } },
    );
    expect(outcome.kind).toBe("retry");
  });
});
