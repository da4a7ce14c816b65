/**
 * The admin API against a running receiver with real traffic: webhooks
 * posted over HTTP, a real gRPC connector consuming, acking and nacking.
 */
import { randomUUID } from "node:crypto";
import { beforeEach, describe, expect, it } from "vitest";
import { ADMIN_DISABLED_MESSAGE } from "../../../receiver/admin/index.js";
import type { SqliteBuffer } from "../../../receiver/buffer/sqlite/index.js";
import { channelDocument, type ReceiverUnderTest, startUnderTest } from "./fixture.js";
import { consumerForTest, startOnFreshSqlite } from "./per-test.js";

const ADMIN_TOKEN = `adm-${randomUUID()}`;

describe("admin API", () => {
  let buffer: SqliteBuffer;
  let rx: ReceiverUnderTest;
  const channel = "orders";
  const token = `tok-${randomUUID()}`;

  beforeEach(async () => {
    ({ rx, buffer } = await startOnFreshSqlite(
      channelDocument(channel, token, { max_delivery_attempts: 5 }),
      { adminToken: ADMIN_TOKEN },
    ));
  });

  function consume(options: { group?: string; connectorId?: string } = {}) {
    return consumerForTest(rx.url, channel, token, options);
  }

  describe("authentication", () => {
    it("serves /health without a token", async () => {
      const answer = await rx.admin("GET", "/health", { token: null });
      expect(answer.status).toBe(200);
      expect(answer.json).toMatchObject({ status: "healthy", buffer: true, channels_count: 1 });
    });

    it("answers 401 without an Authorization header", async () => {
      const answer = await rx.admin("GET", "/channels", { token: null });
      expect(answer.status).toBe(401);
      expect(answer.json.error).toBe("unauthorized");
    });

    it("answers 401 for a wrong admin token", async () => {
      const answer = await rx.admin("GET", "/overview", { token: `${ADMIN_TOKEN}x` });
      expect(answer.status).toBe(401);
      expect(answer.json.message).toBe("invalid admin token");
    });

    it("does not accept a channel token as admin token", async () => {
      const answer = await rx.admin("GET", "/overview", { token });
      expect(answer.status).toBe(401);
    });

    it("answers 403 on every route when no admin token is configured", async () => {
      const disabled = await startUnderTest(channelDocument("other", "tok-other"), buffer);
      try {
        for (const [method, path] of [
          ["GET", "/overview"],
          ["GET", "/channels"],
          ["GET", "/channels/other"],
          ["POST", "/channels/other/rotate-token"],
          ["DELETE", "/channels/other/dead-letters"],
          ["GET", "/no-such-route"],
        ] as const) {
          const answer = await disabled.admin(method, path, { token: "anything" });
          expect(answer.status, `${method} ${path}`).toBe(403);
          expect(answer.json.message).toBe(ADMIN_DISABLED_MESSAGE);
          expect(answer.json.message).toContain("WEBHOOK_CONNECT_ADMIN_TOKEN");
        }
      } finally {
        await disabled.receiver.close();
      }
    });
  });

  describe("not found and validation", () => {
    it("answers 404 JSON for an unknown channel on every channel route", async () => {
      for (const [method, path] of [
        ["GET", "/channels/nope"],
        ["GET", "/channels/nope/stats"],
        ["GET", "/channels/nope/webhook-stats"],
        ["POST", "/channels/nope/rotate-token"],
        ["DELETE", "/channels/nope/connections/abc"],
        ["GET", "/channels/nope/dead-letters"],
        ["POST", "/channels/nope/dead-letters/replay"],
        ["DELETE", "/channels/nope/dead-letters"],
      ] as const) {
        const answer = await rx.admin(method, path);
        expect(answer.status, `${method} ${path}`).toBe(404);
        expect(answer.json).toEqual({ error: "not_found", message: "unknown channel 'nope'" });
      }
    });

    it("answers 404 JSON for an unknown route and an unknown connection", async () => {
      const route = await rx.admin("GET", "/channels/orders/nothing-here");
      expect(route.status).toBe(404);
      expect(route.json.error).toBe("not_found");
      const connection = await rx.admin("DELETE", "/channels/orders/connections/missing");
      expect(connection.status).toBe(404);
      expect(connection.json.message).toContain("'missing'");
    });

    it("answers 405 with Allow for a wrong method", async () => {
      const answer = await rx.admin("POST", "/channels/orders/stats");
      expect(answer.status).toBe(405);
      expect(answer.headers["allow"]).toBe("GET");
    });

    it.each([
      ["malformed JSON", { rawBody: "{nope" }, "not valid JSON"],
      ["a JSON array", { body: [1] }, "must be a JSON object"],
      ["an unknown field", { body: { grace: 5 } }, "unknown field 'grace'"],
      ["a negative grace", { body: { grace_period_seconds: -1 } }, "grace_period_seconds"],
      ["a string grace", { body: { grace_period_seconds: "60" } }, "grace_period_seconds"],
    ])("rejects a rotation with %s (400)", async (_name, options, message) => {
      const answer = await rx.admin("POST", "/channels/orders/rotate-token", options);
      expect(answer.status).toBe(400);
      expect(answer.json.error).toBe("bad_request");
      expect(answer.json.message).toContain(message);
    });

    it.each([
      ["limit=0", "'limit'"],
      ["limit=abc", "'limit'"],
      ["limit=5000", "'limit'"],
      ["offset=-1", "'offset'"],
      ["from=yesterday", "'from'"],
      ["from=2030-01-01T00:00:00Z&to=2020-01-01T00:00:00Z", "earlier than 'to'"],
      ["group=..bad", "'group'"],
    ])("rejects dead-letter listing with %s (400)", async (query, message) => {
      const answer = await rx.admin("GET", `/channels/orders/dead-letters?${query}`);
      expect(answer.status).toBe(400);
      expect(answer.json.message).toContain(message);
    });

    it("rejects a replay with bad message_ids or target_group (400)", async () => {
      const ids = await rx.admin("POST", "/channels/orders/dead-letters/replay", {
        body: { message_ids: "abc" },
      });
      expect(ids.status).toBe(400);
      expect(ids.json.message).toContain("message_ids");
      const group = await rx.admin("POST", "/channels/orders/dead-letters/replay", {
        body: { target_group: "no spaces" },
      });
      expect(group.status).toBe(400);
      expect(group.json.message).toContain("target_group");
    });
  });

  describe("channels and stats with real traffic", () => {
    it("reports the buffer's numbers and the connected client's counters", async () => {
      for (let i = 0; i < 3; i++) {
        expect((await rx.send("orders-plain", JSON.stringify({ i }))).status).toBe(200);
      }
      const consumer = consume({ connectorId: "laptop-1" });
      const welcome = await consumer.welcome;
      const messages = await consumer.waitForMessages(3);
      consumer.ack(messages[0]!.messageId);
      consumer.nack(messages[1]!.messageId, true, "target 503");
      // Wait until the ack and nack were applied (the buffer's own numbers).
      await expect.poll(async () => (await buffer.stats(channel)).delivered).toBe(1);
      await expect.poll(() => rx.receiver.registry.list(channel)[0]?.snapshot().nacked).toBe(1);

      const detail = await rx.admin("GET", "/channels/orders");
      expect(detail.status).toBe(200);
      expect(detail.json.name).toBe(channel);
      expect(detail.json.webhook_ids).toEqual(["orders-plain", "orders-signed"]);
      expect(detail.json.config).toMatchObject({ max_delivery_attempts: 5, ttl_seconds: 86400 });
      expect(JSON.stringify(detail.json)).not.toContain(token);
      const stats = await buffer.stats(channel);
      expect(detail.json.stats).toMatchObject({
        messages_queued: stats.queued,
        messages_in_flight: stats.inFlight,
        messages_delivered: 1,
        connected_clients: 1,
      });
      expect(detail.json.connected_clients).toHaveLength(1);
      const client = detail.json.connected_clients[0];
      expect(client).toMatchObject({
        connection_id: welcome.connectionId,
        connector_id: "laptop-1",
        protocol: "grpc",
        group: "default",
        delivered: 3,
        acked: 1,
        nacked: 1,
        in_flight: 1,
      });
      expect(Date.parse(client.last_heartbeat)).toBeGreaterThan(0);

      const statsRoute = await rx.admin("GET", "/channels/orders/stats");
      expect(statsRoute.json).toMatchObject({
        channel,
        messages_queued: stats.queued,
        messages_delivered: stats.delivered,
        messages_expired: stats.expired,
        messages_dead_lettered: stats.deadLettered,
        dead_letters_queued: stats.deadLetterQueued,
        connected_clients: 1,
      });

      const list = await rx.admin("GET", "/channels");
      expect(list.json).toHaveLength(1);
      expect(list.json[0]).toMatchObject({
        name: channel,
        webhook_id: "orders-plain",
        connected_clients: 1,
        messages_queued: stats.queued,
      });

      const overview = await rx.admin("GET", "/overview");
      expect(overview.json).toMatchObject({
        total_channels: 1,
        total_connections: 1,
        messages_queued: stats.queued,
        messages_delivered: 1,
        buffer_kind: "sqlite",
      });
      expect(overview.headers["x-request-id"]).toBeTruthy();
    });

    it("counts accepted and rejected webhooks per webhook id by status", async () => {
      expect((await rx.send("orders-plain", '{"a":1}')).status).toBe(200);
      expect((await rx.send("orders-plain", '{"a":2}')).status).toBe(200);
      expect((await rx.send("orders-plain", "{broken")).status).toBe(400);
      expect((await rx.sendSigned("orders-signed", '{"b":1}')).status).toBe(200);
      expect((await rx.sendSigned("orders-signed", '{"b":2}', "wrong")).status).toBe(401);
      expect((await rx.sendSigned("orders-signed", '{"b":3}', "wrong")).status).toBe(401);
      const answer = await rx.admin("GET", "/channels/orders/webhook-stats");
      expect(answer.status).toBe(200);
      expect(answer.json.webhooks).toEqual([
        expect.objectContaining({
          webhook_id: "orders-plain",
          accepted: 2,
          rejected: 1,
          rejected_by_status: { "400": 1 },
        }),
        expect.objectContaining({
          webhook_id: "orders-signed",
          accepted: 1,
          rejected: 2,
          rejected_by_status: { "401": 2 },
        }),
      ]);
    });
  });

  describe("connections", () => {
    it("DELETE closes the client's stream and returns its leases", async () => {
      expect((await rx.send("orders-plain", '{"lease":1}')).status).toBe(200);
      const consumer = consume();
      const welcome = await consumer.welcome;
      await consumer.waitForMessages(1);
      expect((await buffer.stats(channel)).inFlight).toBe(1);
      const answer = await rx.admin(
        "DELETE",
        `/channels/orders/connections/${welcome.connectionId}`,
      );
      expect(answer.status).toBe(200);
      expect(answer.json).toMatchObject({
        status: "disconnected",
        connection_id: welcome.connectionId,
      });
      await consumer.ended;
      expect(rx.receiver.registry.list(channel)).toHaveLength(0);
      await expect.poll(async () => (await buffer.stats(channel)).inFlight).toBe(0);
      const gone = await rx.admin("DELETE", `/channels/orders/connections/${welcome.connectionId}`);
      expect(gone.status).toBe(404);
    });
  });

  describe("dead letters", () => {
    async function deadLetter(count: number): Promise<string[]> {
      for (let i = 0; i < count; i++) {
        expect((await rx.send("orders-plain", JSON.stringify({ dead: i }))).status).toBe(200);
      }
      const consumer = consume({ connectorId: "rejecting" });
      const messages = await consumer.waitForMessages(count);
      for (const message of messages)
        consumer.nack(message.messageId, false, `HTTP 422 for ${message.messageId}`);
      await expect.poll(async () => (await buffer.stats(channel)).deadLetterQueued).toBe(count);
      await consumer.close();
      return messages.map((m) => m.messageId);
    }

    it("lists dead letters with reason, attempts, times, metadata and the body", async () => {
      const ids = await deadLetter(3);
      const answer = await rx.admin("GET", "/channels/orders/dead-letters?limit=2&offset=0");
      expect(answer.status).toBe(200);
      expect(answer.json).toMatchObject({ total: 3, limit: 2, offset: 0, count: 2 });
      const first = answer.json.dead_letters[0];
      expect(first).toMatchObject({
        message_id: ids[0],
        group: "default",
        reason: `HTTP 422 for ${ids[0]}`,
        attempts: 1,
        webhook_id: "orders-plain",
        method: "POST",
        path: "/webhook/orders-plain",
        content_type: "application/json",
      });
      expect(Buffer.from(first.body_base64, "base64").toString()).toBe('{"dead":0}');
      expect(Date.parse(first.first_failed_at)).toBeGreaterThan(0);
      expect(Date.parse(first.last_failed_at)).toBeGreaterThanOrEqual(
        Date.parse(first.first_failed_at),
      );
      expect(first.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/);
      const page2 = await rx.admin("GET", "/channels/orders/dead-letters?limit=2&offset=2");
      expect(page2.json.dead_letters.map((d: { message_id: string }) => d.message_id)).toEqual([
        ids[2],
      ]);
      const one = await rx.admin("GET", `/channels/orders/dead-letters?message_id=${ids[1]}`);
      expect(one.json.dead_letters.map((d: { message_id: string }) => d.message_id)).toEqual([
        ids[1],
      ]);
    });

    it("replays selected dead letters to a consumer and purges the rest", async () => {
      const ids = await deadLetter(3);
      const replay = await rx.admin("POST", "/channels/orders/dead-letters/replay", {
        body: { message_ids: [ids[1]] },
      });
      expect(replay.status).toBe(200);
      expect(replay.json).toMatchObject({ replayed: 1 });
      const consumer = consume({ connectorId: "fixed" });
      const [message] = await consumer.waitForMessages(1);
      expect(message!.messageId).toBe(ids[1]);
      expect(Buffer.from(message!.body).toString()).toBe('{"dead":1}');
      consumer.ack(message!.messageId);
      await expect.poll(async () => (await buffer.stats(channel)).delivered).toBe(1);
      const stats = await rx.admin("GET", "/channels/orders/stats");
      const own = await buffer.stats(channel);
      expect(stats.json.dead_letters_queued).toBe(own.deadLetterQueued);
      expect(own.deadLetterQueued).toBe(2);

      const purge = await rx.admin("DELETE", "/channels/orders/dead-letters");
      expect(purge.status).toBe(200);
      expect(purge.json).toMatchObject({ purged: 2 });
      const after = await rx.admin("GET", "/channels/orders/dead-letters");
      expect(after.json).toMatchObject({ total: 0, count: 0, dead_letters: [] });
    });

    it("replays everything to a given group", async () => {
      await deadLetter(2);
      const other = consume({ group: "replays", connectorId: "replayer" });
      await other.welcome;
      const replay = await rx.admin("POST", "/channels/orders/dead-letters/replay", {
        body: { target_group: "replays" },
      });
      expect(replay.json).toMatchObject({ replayed: 2, target_group: "replays" });
      const messages = await other.waitForMessages(2);
      expect(messages.map((m) => JSON.parse(Buffer.from(m.body).toString()).dead).sort()).toEqual([
        0, 1,
      ]);
    });

    it("purges by filter only the selected dead letters", async () => {
      const ids = await deadLetter(2);
      const purge = await rx.admin("DELETE", `/channels/orders/dead-letters?message_id=${ids[0]}`);
      expect(purge.json).toMatchObject({ purged: 1 });
      const left = await rx.admin("GET", "/channels/orders/dead-letters");
      expect(left.json.dead_letters.map((d: { message_id: string }) => d.message_id)).toEqual([
        ids[1],
      ]);
      const future = await rx.admin("POST", "/channels/orders/dead-letters/replay", {
        body: { from: Date.now() + 60_000 },
      });
      expect(future.json).toMatchObject({ replayed: 0 });
    });
  });
});
