import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type FakeHttp, startFakeHttp } from "../fake-http.js";
import { blobMessage, jsonMessage, never } from "../helpers.js";
import { hookBuilder } from "./one-hook.js";

describe("clickhouse module against an in-test ClickHouse HTTP endpoint", () => {
  let fake: FakeHttp;
  beforeEach(async () => {
    fake = await startFakeHttp();
  });
  afterEach(() => fake.close());
  const build = hookBuilder({
    module: "clickhouse",
    moduleConfig: { table: "events" },
    connection: [
      "ch",
      () => ({
        type: "clickhouse",
        url: fake.url,
        database: "analytics",
        username: "writer",
        password: "pw",
      }),
    ],
  });

  const queryOf = (i: number) => new URL(fake.requests[i]!.url, fake.url).searchParams;

  it("creates the table once and INSERTs a JSONEachRow row with a dedup token", async () => {
    const b = await build();
    const message = jsonMessage({ id: "evt_1", amount: 42 });
    expect(await b.deliverer.deliver(message, never)).toEqual({ kind: "ack" });
    expect(await b.deliverer.deliver(jsonMessage({ n: 2 }), never)).toEqual({ kind: "ack" });
    expect(fake.requests).toHaveLength(3);
    expect(fake.requests[0]!.body.toString()).toMatch(
      /^CREATE TABLE IF NOT EXISTS events .*ReplacingMergeTree ORDER BY message_id/,
    );
    const insert = queryOf(1);
    expect(insert.get("query")).toMatch(/^INSERT INTO events\s*FORMAT JSONEachRow/);
    expect(insert.get("database")).toBe("analytics");
    expect(insert.get("insert_deduplication_token")).toBe(message.messageId);
    expect(fake.requests[1]!.headers["authorization"]).toBe(
      `Basic ${Buffer.from("writer:pw").toString("base64")}`,
    );
    const rows = fake.requests[1]!.body.toString()
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(rows).toEqual([
      {
        message_id: message.messageId,
        webhook_id: "hook",
        channel: "test-channel",
        received_at: "2025-03-04 05:06:07.089",
        content_type: "application/json",
        headers: JSON.stringify({
          "content-type": "application/json",
          "x-signature": "sha256=abc",
          "x-trace": "one, two",
        }),
        payload: Buffer.from(message.body).toString("utf8"),
        payload_encoding: "utf8",
      },
    ]);
  });

  it("stores blob bodies as base64", async () => {
    const b = await build({ auto_create_table: false }, "blob");
    const bytes = new Uint8Array([0, 200, 255]);
    expect(await b.deliverer.deliver(blobMessage(bytes), never)).toEqual({ kind: "ack" });
    const row = JSON.parse(fake.requests[0]!.body.toString());
    expect(Buffer.from(row.payload, "base64")).toEqual(Buffer.from(bytes));
    expect(row.payload_encoding).toBe("base64");
  });

  it("a type error is a reject; an unknown table a retry that recreates the table", async () => {
    const b = await build();
    const error = (code: number, type: string) => ({
      status: 500,
      headers: { "x-clickhouse-exception-code": String(code) },
      body: `Code: ${code}. DB::Exception: failed. (${type}) (version 24.3.1.1)\n`,
    });
    fake.reply((r) => (r.url.includes("INSERT") ? error(53, "TYPE_MISMATCH") : {}));
    expect((await b.deliverer.deliver(jsonMessage({}), never)).kind).toBe("reject");
    fake.reply((r) => (r.url.includes("INSERT") ? error(60, "UNKNOWN_TABLE") : {}));
    expect((await b.deliverer.deliver(jsonMessage({}), never)).kind).toBe("retry");
    fake.reply(() => ({}));
    expect((await b.deliverer.deliver(jsonMessage({}), never)).kind).toBe("ack");
    const creates = fake.requests.filter((r) => r.body.toString().startsWith("CREATE TABLE"));
    expect(creates).toHaveLength(2);
  });

  it("an unreachable server is a retry; a bad table name a ConfigError", async () => {
    const b = await build({ auto_create_table: false });
    await fake.close();
    expect((await b.deliverer.deliver(jsonMessage({}), never)).kind).toBe("retry");
    fake = await startFakeHttp();
    await expect(build({ table: "drop table" })).rejects.toThrow(/module-config\.table/);
  });
});
