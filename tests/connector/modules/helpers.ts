/**
 * Test helpers for module mode: relayed messages, config files in a temp
 * directory, a deliverer built from inline configs, and a stdout capture.
 */
import { randomUUID } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { Deliverer } from "../../../connector/delivery/deliverer.js";
import { createModuleDeliverer, type ModuleEvent } from "../../../connector/modules/index.js";
import {
  type WebhookMessage,
  WebhookMessageSchema,
} from "../../../gen/webhookconnect/v1/message_pb.js";

/** A unique suffix for table, queue and topic names of one test run. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
}

/** A relayed JSON webhook with realistic headers. */
export function jsonMessage(
  payload: unknown,
  overrides: Partial<{ messageId: string; webhookId: string; attempt: number }> = {},
): WebhookMessage {
  const body = Buffer.from(JSON.stringify(payload));
  return create(WebhookMessageSchema, {
    messageId: overrides.messageId ?? randomUUID(),
    channel: "test-channel",
    webhookId: overrides.webhookId ?? "hook",
    receivedAt: timestampFromDate(new Date("2025-03-04T05:06:07.089Z")),
    sequence: 1n,
    deliveryAttempt: overrides.attempt ?? 1,
    method: "POST",
    path: `/webhook/${overrides.webhookId ?? "hook"}`,
    query: "",
    headers: [
      { name: "Content-Type", value: "application/json" },
      { name: "X-Signature", value: "sha256=abc" },
      { name: "X-Trace", value: "one" },
      { name: "X-Trace", value: "two" },
    ],
    body,
    contentType: "application/json",
    sourceIp: "203.0.113.7",
  });
}

/** A relayed binary webhook. */
export function blobMessage(bytes: Uint8Array, webhookId = "hook"): WebhookMessage {
  return create(WebhookMessageSchema, {
    messageId: randomUUID(),
    channel: "test-channel",
    webhookId,
    receivedAt: timestampFromDate(new Date("2025-03-04T05:06:07.089Z")),
    deliveryAttempt: 1,
    method: "POST",
    path: `/webhook/${webhookId}`,
    headers: [{ name: "Content-Type", value: "application/octet-stream" }],
    body: bytes,
    contentType: "application/octet-stream",
  });
}

/** A temporary directory, removed by the returned cleanup. */
export async function tempDir(): Promise<{ path: string; cleanup: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), "wc-modules-"));
  return { path, cleanup: () => rm(path, { recursive: true, force: true }) };
}

/** Writes the two config files into `dir` and returns their paths. */
export async function writeConfigs(
  dir: string,
  webhooks: unknown,
  connections?: unknown,
): Promise<{ webhooksConfigPath: string; connectionsConfigPath: string | undefined }> {
  const webhooksConfigPath = join(dir, `webhooks-${randomUUID()}.json`);
  await writeFile(webhooksConfigPath, JSON.stringify(webhooks));
  let connectionsConfigPath: string | undefined;
  if (connections !== undefined) {
    connectionsConfigPath = join(dir, `connections-${randomUUID()}.json`);
    await writeFile(connectionsConfigPath, JSON.stringify(connections));
  }
  return { webhooksConfigPath, connectionsConfigPath };
}

/** Collects what a module writes. */
export class CapturedOutput extends Writable {
  readonly chunks: string[] = [];
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.chunks.push(chunk.toString("utf8"));
    callback();
  }
  get text(): string {
    return this.chunks.join("");
  }
}

/** A deliverer built from inline configs, plus its events and output. */
export interface TestDeliverer {
  readonly deliverer: Deliverer;
  readonly events: ModuleEvent[];
  readonly output: CapturedOutput;
  readonly close: () => Promise<void>;
}

/** Builds a deliverer from inline webhooks/connections objects; `random` feeds the retry jitter. */
export async function deliverFrom(
  webhooks: unknown,
  connections?: unknown,
  env: Record<string, string> = {},
  random?: () => number,
): Promise<TestDeliverer> {
  const dir = await tempDir();
  const paths = await writeConfigs(dir.path, webhooks, connections);
  const events: ModuleEvent[] = [];
  const output = new CapturedOutput();
  try {
    const deliverer = await createModuleDeliverer({
      ...paths,
      env,
      onEvent: (event) => events.push(event),
      stdout: output,
      random,
    });
    return {
      deliverer,
      events,
      output,
      close: async () => {
        await deliverer.close();
        await dir.cleanup();
      },
    };
  } catch (error) {
    await dir.cleanup();
    throw error;
  }
}

/** A signal that never aborts. */
export const never = new AbortController().signal;
