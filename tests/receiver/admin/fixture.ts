/**
 * In-process receivers (`startReceiver` on 127.0.0.1 port 0) for the admin,
 * token and metrics tests, with a helper to call the admin API, a webhook
 * sender and a real gRPC consumer (`createGrpcTransport` + RelayService).
 */
import { createHmac, randomUUID } from "node:crypto";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { request } from "undici";
import type { WebhookMessage } from "../../../gen/webhookconnect/v1/message_pb.js";
import {
  type ConnectRequest,
  ConnectRequestSchema,
  RelayService,
  type Welcome,
} from "../../../gen/webhookconnect/v1/relay_pb.js";
import {
  type ReceiverOptions,
  type RunningReceiver,
  startReceiver,
} from "../../../receiver/app.js";
import type { Buffer } from "../../../receiver/buffer/buffer.js";
import { createSqliteBuffer } from "../../../receiver/buffer/sqlite/index.js";
import { parseReceiverConfig, type ReceiverConfig } from "../../../receiver/config/index.js";
import { tempDir } from "../../helpers/processes.js";

/** The HMAC secret of the signed webhook. */
export const HMAC_SECRET = `whsec-${randomUUID()}`;

/** A webhooks.json with two webhooks (plain and HMAC-signed) feeding one channel. */
export function channelDocument(
  channel: string,
  token: string,
  moduleConfig: Record<string, unknown> = {},
): Record<string, unknown> {
  const relay = { channel, channel_token: token, ...moduleConfig };
  return {
    [`${channel}-plain`]: { module: "webhook_connect", "module-config": relay },
    [`${channel}-signed`]: {
      module: "webhook_connect",
      "module-config": relay,
      hmac: { secret: HMAC_SECRET, header: "X-Signature", algorithm: "sha256" },
    },
  };
}

/** Parses a webhooks.json document like the loader does. */
export function configOf(document: Record<string, unknown>): ReceiverConfig {
  return parseReceiverConfig(JSON.stringify(document), "webhooks.json", { env: {} });
}

/** A fresh SQLite buffer in its own temp directory. */
export function freshSqlite(): { buffer: ReturnType<typeof createSqliteBuffer>; dir: string } {
  const dir = tempDir("wc-admin-");
  return { buffer: createSqliteBuffer({ path: join(dir, "buffer.db") }), dir };
}

/** Answer of an HTTP call. */
export interface HttpAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  // biome-ignore lint/suspicious/noExplicitAny: assertions index into arbitrary JSON answers
  readonly json: any;
  readonly text: string;
}

/** A running receiver with helpers. */
export class ReceiverUnderTest {
  constructor(
    readonly receiver: RunningReceiver,
    readonly adminToken: string | undefined,
  ) {}

  get url(): string {
    return this.receiver.url;
  }

  /** Calls the admin API (`path` after `/admin/webhook-connect`). */
  async admin(
    method: string,
    path: string,
    options: { body?: unknown; token?: string | null; rawBody?: string } = {},
  ): Promise<HttpAnswer> {
    const token = options.token === undefined ? this.adminToken : options.token;
    const headers: Record<string, string> = {};
    if (token !== null && token !== undefined) headers["authorization"] = `Bearer ${token}`;
    let body: string | undefined = options.rawBody;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers["content-type"] = "application/json";
    }
    return call(`${this.url}/admin/webhook-connect${path}`, method, headers, body);
  }

  /** Posts a webhook. */
  send(webhookId: string, body: string, headers: Record<string, string> = {}): Promise<HttpAnswer> {
    return call(
      `${this.url}/webhook/${webhookId}`,
      "POST",
      { "content-type": "application/json", ...headers },
      body,
    );
  }

  /** Posts a webhook signed with HMAC_SECRET (or a wrong secret). */
  sendSigned(webhookId: string, body: string, secret = HMAC_SECRET): Promise<HttpAnswer> {
    const signature = createHmac("sha256", secret).update(body).digest("hex");
    return this.send(webhookId, body, { "X-Signature": signature });
  }

  /** GET /metrics as text. */
  async metrics(): Promise<string> {
    const answer = await call(`${this.url}/metrics`, "GET", {}, undefined);
    if (answer.status !== 200) throw new Error(`/metrics answered ${answer.status}`);
    return answer.text;
  }
}

async function call(
  url: string,
  method: string,
  headers: Record<string, string>,
  body: string | undefined,
): Promise<HttpAnswer> {
  const response = await request(url, {
    method: method as "GET",
    headers,
    ...(body === undefined ? {} : { body }),
  });
  const text = await response.body.text();
  let json: unknown;
  try {
    json = text === "" ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.statusCode, headers: response.headers, json, text };
}

/** Starts a receiver on `buffer`. */
export async function startUnderTest(
  document: Record<string, unknown>,
  buffer: Buffer,
  options: Omit<ReceiverOptions, "config" | "buffer" | "host" | "port"> = {},
): Promise<ReceiverUnderTest> {
  const receiver = await startReceiver({
    heartbeatIntervalMs: 500,
    ...options,
    config: configOf(document),
    buffer,
    host: "127.0.0.1",
    port: 0,
  });
  return new ReceiverUnderTest(receiver, options.adminToken);
}

/** Deletes a temp directory. */
export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** A real gRPC consumer of one channel over the bidi `Connect` call. */
export class GrpcConsumer {
  /** Resolves with the Welcome frame. */
  readonly welcome: Promise<Welcome>;
  /** Resolves when the server ended the stream: undefined, or the error. */
  readonly ended: Promise<Error | undefined>;
  private readonly outgoing: ConnectRequest[] = [];
  private wakeOutgoing: (() => void) | undefined;
  private readonly received: WebhookMessage[] = [];
  private readonly waiters = new Set<() => void>();
  private readonly abort = new AbortController();
  private done = false;

  constructor(
    url: string,
    channel: string,
    token: string,
    options: { connectorId?: string; group?: string; maxInFlight?: number } = {},
  ) {
    const client = createClient(RelayService, createGrpcTransport({ baseUrl: url }));
    this.abort.signal.addEventListener("abort", () => this.wakeOutgoing?.());
    this.push({
      case: "hello",
      value: {
        channel,
        connectorId: options.connectorId ?? "test-connector",
        group: options.group ?? "",
        maxInFlight: options.maxInFlight ?? 10,
      },
    });
    const stream = client.connect(this.requests(), {
      headers: { authorization: `Bearer ${token}` },
      signal: this.abort.signal,
    });
    let resolveWelcome!: (welcome: Welcome) => void;
    let rejectWelcome!: (error: Error) => void;
    this.welcome = new Promise((resolve, reject) => {
      resolveWelcome = resolve;
      rejectWelcome = reject;
    });
    this.welcome.catch(() => undefined);
    this.ended = (async () => {
      try {
        for await (const response of stream) {
          const frame = response.frame;
          if (frame.case === "welcome") resolveWelcome(frame.value);
          // Answer each server heartbeat, as a live connector does.
          if (frame.case === "heartbeat") this.push({ case: "heartbeat", value: {} });
          if (frame.case === "message") {
            this.received.push(frame.value);
            for (const waiter of [...this.waiters]) waiter();
          }
        }
        rejectWelcome(new Error("stream ended before Welcome"));
        return undefined;
      } catch (error) {
        rejectWelcome(error as Error);
        return error as Error;
      } finally {
        this.done = true;
        this.wakeOutgoing?.();
        for (const waiter of [...this.waiters]) waiter();
      }
    })();
  }

  /** Messages received so far. */
  get messages(): readonly WebhookMessage[] {
    return this.received;
  }

  /** Resolves once `count` messages were received in total. */
  waitForMessages(count: number, timeoutMs = 10_000): Promise<readonly WebhookMessage[]> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.received.length >= count) {
          this.waiters.delete(check);
          clearTimeout(timer);
          resolve(this.received);
        } else if (this.done) {
          this.waiters.delete(check);
          clearTimeout(timer);
          reject(new Error(`stream ended after ${this.received.length} of ${count} messages`));
        }
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`only ${this.received.length} of ${count} messages in time`));
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }

  /** Acks messages. */
  ack(...messageIds: string[]): void {
    this.push({ case: "ack", value: { messageIds } });
  }

  /** Nacks one message. */
  nack(messageId: string, retry: boolean, reason: string): void {
    this.push({ case: "nack", value: { messageId, retry, reason } });
  }

  /** Closes the client side. */
  async close(): Promise<void> {
    this.abort.abort();
    await this.ended;
  }

  private push(frame: Record<string, unknown>): void {
    this.outgoing.push(create(ConnectRequestSchema, { frame } as never));
    this.wakeOutgoing?.();
  }

  private async *requests(): AsyncIterable<ConnectRequest> {
    while (!this.done && !this.abort.signal.aborted) {
      const next = this.outgoing.shift();
      if (next !== undefined) {
        yield next;
        continue;
      }
      await new Promise<void>((resolve) => {
        this.wakeOutgoing = resolve;
      });
      this.wakeOutgoing = undefined;
    }
  }
}
