/**
 * The sending and checking that the relay-core scenarios share: relay.test.ts
 * runs them once per buffer backend, transports.test.ts once per connector
 * transport.
 */
import { randomBytes } from "node:crypto";
import { expect } from "vitest";
import type { Buffer as RelayBuffer } from "../../receiver/buffer/buffer.js";
import type { RecordedRequest, Target } from "../helpers/target.js";
import { headerOf, mapLimit, type Relay } from "./harness.js";

/** A webhook sent by `sendMixed`: its message id, its bytes and its index. */
export interface SentBody {
  readonly id: string;
  readonly body: Buffer;
  readonly i: number;
}

/** Even-numbered bodies are JSON a re-serialiser would change (spacing, escapes), odd ones binary. */
export function mixedBodies(count: number, jsonTail: string, binaryBytes: number): Buffer[] {
  return Array.from({ length: count }, (_, i) =>
    i % 2 === 0
      ? Buffer.from(`{ "n" :${i},\n\t"s":"caf\\u00e9 \\ud83d\\ude00"${jsonTail} }`)
      : Buffer.concat([Buffer.from([0, 255, 254, i % 256]), randomBytes(binaryBytes)]),
  );
}

/** Posts the mixed bodies (JSON to json_hook, binary to blob_hook), each with a mixed-case header of its own. */
export function sendMixed(
  r: Relay,
  bodies: readonly Buffer[],
  concurrency: number,
  extraHeaders: Record<string, string> = {},
): Promise<SentBody[]> {
  return mapLimit(bodies, concurrency, async (body, i) => {
    const json = i % 2 === 0;
    const res = await r.send(json ? "json_hook" : "blob_hook", body, {
      "content-type": json ? "application/json" : "application/octet-stream",
      "X-Custom-Case": `Value-${i}`,
      ...extraHeaders,
    });
    expect(res.status).toBe(200);
    expect(res.headers["x-webhook-message-id"]).toBe(res.json?.["message_id"]);
    return { id: res.json?.["message_id"] as string, body, i };
  });
}

/** Waits for every `sendMixed` webhook at the target (connector forwarding to `/hooks`): bytes, headers and query as sent. */
export async function expectDeliveredByteExact(
  t: Target,
  sent: readonly SentBody[],
  timeoutMs: number,
): Promise<void> {
  await t.waitForRequests(sent.length, timeoutMs);
  const byId = new Map(t.requests.map((req) => [messageIdOf(req), req]));
  expect(byId.size).toBe(sent.length);
  for (const { id, body, i } of sent) {
    const got = byId.get(id);
    expect(got, `message ${i}`).toBeDefined();
    expect(got!.body.equals(body), `body of message ${i}`).toBe(true);
    expect(got!.rawHeaders).toContain("X-Custom-Case");
    expect(headerOf(got!.rawHeaders, "X-Custom-Case")).toBe(`Value-${i}`);
    expect(headerOf(got!.rawHeaders, "content-type")).toBe(
      i % 2 === 0 ? "application/json" : "application/octet-stream",
    );
    expect(headerOf(got!.rawHeaders, "x-webhook-id")).toBe(i % 2 === 0 ? "json_hook" : "blob_hook");
    // The original query (`?source=e2e`) is forwarded after the target path.
    expect(got!.url).toBe("/hooks?source=e2e");
  }
}

/** Posts `count` small JSON webhooks `{"<key>": i}` to json_hook, `concurrency` at a time; returns their message ids. */
export function sendNumbered(
  r: Relay,
  key: string,
  count: number,
  concurrency: number,
): Promise<string[]> {
  return mapLimit(
    Array.from({ length: count }, (_, i) => i),
    concurrency,
    async (i) => {
      const res = await r.send("json_hook", JSON.stringify({ [key]: i }));
      expect(res.status).toBe(200);
      return res.json!["message_id"]!;
    },
  );
}

/** The message id the connector forwarded a request under. */
export function messageIdOf(req: RecordedRequest): string | undefined {
  return headerOf(req.rawHeaders, "x-webhook-message-id");
}

/** Every one of `ids` reached the target. */
export function expectAllDelivered(t: Target, ids: Iterable<string>): void {
  const delivered = new Set(t.requests.map(messageIdOf));
  for (const id of ids) expect(delivered.has(id)).toBe(true);
}

/** The target fails the first `flaky` delivery with 500 and every `bad` one with 400. */
export function replyFlakyOnceAndBad(t: Target): void {
  let failures = 0;
  t.reply((req) => {
    const body = req.body.toString();
    if (body.includes("flaky") && failures === 0) {
      failures += 1;
      return { status: 500 };
    }
    return { status: body.includes("bad") ? 400 : 200 };
  });
}

/** Sends the `flaky` and the `bad` webhook for `replyFlakyOnceAndBad`; returns their message ids. */
export async function sendFlakyAndBad(r: Relay): Promise<{ flakyId: string; badId: string }> {
  const flaky = await r.send("json_hook", '{"flaky":true}');
  const bad = await r.send("json_hook", '{"bad":true}');
  expect(flaky.status).toBe(200);
  expect(bad.status).toBe(200);
  return { flakyId: flaky.json!["message_id"]!, badId: bad.json!["message_id"]! };
}

/** After `replyFlakyOnceAndBad`: the flaky message came twice (attempts 1 and 2, a retry delay apart), the bad one once. */
export async function expectRetriedOnceAndBadOnce(t: Target, flakyId: string): Promise<void> {
  await t.waitForRequests(3, 30_000);
  const flakyDeliveries = t.requests.filter((q) => q.body.toString().includes("flaky"));
  expect(flakyDeliveries.map((q) => headerOf(q.rawHeaders, "x-webhook-attempt"))).toEqual([
    "1",
    "2",
  ]);
  expect(flakyDeliveries.map(messageIdOf)).toEqual([flakyId, flakyId]);
  expect(flakyDeliveries[1]!.receivedAt - flakyDeliveries[0]!.receivedAt).toBeGreaterThanOrEqual(
    900,
  );
  expect(t.requests.filter((q) => q.body.toString().includes("bad"))).toHaveLength(1);
}

/** The bad message alone is dead-lettered, for its 400; the buffer is closed afterwards. */
export async function expectOnlyDeadLetter(
  buffer: RelayBuffer,
  channel: string,
  badId: string,
  more: (buffer: RelayBuffer) => Promise<void> = async () => {},
): Promise<void> {
  try {
    const deadLetters = await buffer.listDeadLetters(channel, { limit: 10, offset: 0 });
    expect(deadLetters.map((d) => d.message.messageId)).toEqual([badId]);
    expect(deadLetters[0]!.reason).toMatch(/400/);
    await more(buffer);
  } finally {
    await buffer.close();
  }
}
