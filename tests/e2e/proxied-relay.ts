/**
 * What the proxy end-to-end tests (forward, reverse and TLS-inspecting
 * proxies) all do with a receiver: post a webhook, open a relay session,
 * read it back acking, and ask the admin API how much is left.
 */
import { type Dispatcher, request } from "undici";
import { expect } from "vitest";
import type { RelaySession, Transport } from "../../connector/transport/transport.js";

/** Posts `body` as application/octet-stream to webhook `webhook` at `baseUrl`; expects 200 and returns the message id. */
export async function postBlob(
  baseUrl: string,
  dispatcher: Dispatcher,
  body: Buffer,
  webhook = "hook",
): Promise<string> {
  const response = await request(`${baseUrl}/webhook/${webhook}`, {
    method: "POST",
    dispatcher,
    headers: { "content-type": "application/octet-stream" },
    body,
  });
  expect(response.statusCode).toBe(200);
  return ((await response.body.json()) as { message_id: string }).message_id;
}

/** The hello of a test connector: connector id and group are both `group`. */
export interface SessionHello {
  readonly channel: string;
  readonly group: string;
  readonly maxInFlight: number;
  readonly timeoutMs: number;
  readonly clientVersion?: string;
}

/** Opens a session on `transport` as connector `group`. */
export function openSession(transport: Transport, hello: SessionHello): Promise<RelaySession> {
  const { channel, group, maxInFlight, timeoutMs, clientVersion = "test" } = hello;
  return transport.open({
    hello: { channel, connectorId: group, group, maxInFlight, clientVersion },
    signal: AbortSignal.timeout(timeoutMs),
  });
}

/** Reads `session`, acking every message, until message `id` arrives with exactly `body`; returns its source IP. */
export async function receiveAcking(
  session: RelaySession,
  id: string,
  body: Buffer,
): Promise<string> {
  for await (const message of session.messages) {
    expect(session.ack(message.messageId)).toBe(true);
    if (message.messageId === id) {
      expect(Buffer.from(message.body).equals(body), session.transport).toBe(true);
      return message.sourceIp;
    }
  }
  throw new Error(`${session.transport}: the session ended before the message arrived`);
}

/** GETs an admin API address with the admin token and returns its JSON. */
export async function adminJson<T>(
  url: string,
  adminToken: string,
  dispatcher?: Dispatcher,
): Promise<T> {
  const response = await request(url, {
    ...(dispatcher === undefined ? {} : { dispatcher }),
    headers: { authorization: `Bearer ${adminToken}` },
  });
  return (await response.body.json()) as T;
}
