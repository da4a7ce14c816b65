/**
 * The behaviour both SQL modules must show, written once and run against
 * PostgreSQL and MariaDB: delivered rows read back and compared, no
 * duplicate rows on redelivery, upserts, relational mapping, retry on an
 * unreachable server, permanent failure on bad data.
 */
import { describe, expect, it } from "vitest";
import { blobMessage, deliverFrom, jsonMessage, never, uniqueName } from "../helpers.js";

/** How the cases reach one database. */
export interface SqlTarget {
  /** Module name as configured (`postgresql`, `mariadb`, …). */
  readonly module: string;
  /** connections.json entry for the real server. */
  readonly connection: Record<string, unknown>;
  /** connections.json entry for a port nothing listens on. */
  readonly unreachable: Record<string, unknown>;
  /** Runs a query, returns rows. */
  readonly query: (sql: string) => Promise<Array<Record<string, unknown>>>;
  /** Drops the table. */
  readonly drop: (table: string) => Promise<void>;
  /** JSON column value as an object (drivers differ: object or string). */
  readonly json: (value: unknown) => unknown;
  /** Quotes an identifier. */
  readonly quote: (name: string) => string;
}

/** Registers the shared SQL module cases. */
export function describeSqlModule(name: string, available: boolean, target: () => SqlTarget): void {
  describe.skipIf(!available)(`${name} module against the real server`, () => {
    async function setup(moduleConfig: Record<string, unknown>, dataType = "json") {
      const t = target();
      const table = uniqueName("wc_t");
      const built = await deliverFrom(
        {
          hook: {
            module: t.module,
            data_type: dataType,
            connection: "db",
            "module-config": { table, ...moduleConfig },
          },
        },
        { db: t.connection },
      );
      return {
        t,
        table,
        built,
        rows: () => t.query(`SELECT * FROM ${t.quote(table)} ORDER BY created_at`),
        cleanup: async () => {
          await built.close();
          await t.drop(table);
        },
      };
    }

    it("json mode: stores payload, headers and metadata; redelivery adds no row", async () => {
      const s = await setup({});
      try {
        const message = jsonMessage({ id: "evt_1", amount: 42, nested: { ok: true } });
        expect(await s.built.deliverer.deliver(message, never)).toEqual({ kind: "ack" });
        expect(await s.built.deliverer.deliver(message, never)).toEqual({ kind: "ack" });
        const rows = await s.rows();
        expect(rows).toHaveLength(1);
        const row = rows[0]!;
        expect(row["message_id"]).toBe(message.messageId);
        expect(row["webhook_id"]).toBe("hook");
        expect(new Date(row["received_at"] as string).toISOString()).toBe(
          "2025-03-04T05:06:07.089Z",
        );
        expect(s.t.json(row["payload"])).toEqual({ id: "evt_1", amount: 42, nested: { ok: true } });
        expect(s.t.json(row["headers"])).toMatchObject({ "x-signature": "sha256=abc" });
      } finally {
        await s.cleanup();
      }
    });

    it("blob data: stores the exact bytes", async () => {
      const s = await setup({}, "blob");
      try {
        const bytes = new Uint8Array([0, 1, 2, 250, 255]);
        expect(await s.built.deliverer.deliver(blobMessage(bytes), never)).toEqual({ kind: "ack" });
        const [row] = await s.rows();
        expect(new Uint8Array(row!["body"] as Buffer)).toEqual(bytes);
        expect(row!["payload"]).toBeNull();
      } finally {
        await s.cleanup();
      }
    });

    it("json mode with upsert: a second event with the same key updates the row", async () => {
      const s = await setup({ upsert: true, upsert_key: "id" });
      try {
        await s.built.deliverer.deliver(jsonMessage({ id: "order_9", state: "created" }), never);
        const second = jsonMessage({ id: "order_9", state: "paid" });
        expect(await s.built.deliverer.deliver(second, never)).toEqual({ kind: "ack" });
        const rows = await s.rows();
        expect(rows).toHaveLength(1);
        expect(s.t.json(rows[0]!["payload"])).toEqual({ id: "order_9", state: "paid" });
        expect(rows[0]!["message_id"]).toBe(second.messageId);
      } finally {
        await s.cleanup();
      }
    });

    it("relational mode: maps fields to typed columns", async () => {
      const s = await setup({
        storage_mode: "relational",
        schema: {
          fields: {
            event_id: { column: "event_id", type: "string", constraints: ["NOT NULL"] },
            amount: { type: "float" },
            count: { type: "integer" },
            paid: { type: "boolean" },
            "data.customer": { column: "customer", type: "string" },
            at: { type: "datetime" },
          },
          indexes: { [uniqueName("idx")]: { columns: ["customer"] } },
        },
      });
      try {
        const message = jsonMessage({
          event_id: "e1",
          amount: 9.5,
          count: 3,
          paid: true,
          data: { customer: "cus_1" },
          at: "2024-01-02T03:04:05.000Z",
        });
        expect(await s.built.deliverer.deliver(message, never)).toEqual({ kind: "ack" });
        await s.built.deliverer.deliver(message, never);
        const rows = await s.rows();
        expect(rows).toHaveLength(1);
        const row = rows[0]!;
        expect(row["event_id"]).toBe("e1");
        expect(Number(row["amount"])).toBe(9.5);
        expect(Number(row["count"])).toBe(3);
        expect(Boolean(row["paid"])).toBe(true);
        expect(row["customer"]).toBe("cus_1");
        expect(new Date(row["at"] as string).toISOString()).toBe("2024-01-02T03:04:05.000Z");
        expect(row).not.toHaveProperty("payload");
      } finally {
        await s.cleanup();
      }
    });

    it("hybrid mode with upsert on a schema field", async () => {
      const s = await setup({
        storage_mode: "hybrid",
        upsert: true,
        upsert_key: "event_id",
        schema: { fields: { event_id: { type: "string" }, kind: { type: "string" } } },
      });
      try {
        await s.built.deliverer.deliver(jsonMessage({ event_id: "x", kind: "a" }), never);
        await s.built.deliverer.deliver(jsonMessage({ event_id: "x", kind: "b" }), never);
        const rows = await s.rows();
        expect(rows).toHaveLength(1);
        expect(rows[0]!["kind"]).toBe("b");
        expect(s.t.json(rows[0]!["payload"])).toEqual({ event_id: "x", kind: "b" });
      } finally {
        await s.cleanup();
      }
    });

    it("a value of the wrong type is a permanent failure", async () => {
      const s = await setup({
        storage_mode: "relational",
        schema: { fields: { count: { type: "integer" } } },
      });
      try {
        const outcome = await s.built.deliverer.deliver(jsonMessage({ count: "many" }), never);
        expect(outcome.kind).toBe("reject");
      } finally {
        await s.cleanup();
      }
    });

    it("recreates the table when it was dropped after the first delivery", async () => {
      const s = await setup({});
      try {
        await s.built.deliverer.deliver(jsonMessage({ n: 1 }), never);
        await s.t.drop(s.table);
        const retry = await s.built.deliverer.deliver(jsonMessage({ n: 2 }), never);
        expect(retry.kind).toBe("retry");
        expect(await s.built.deliverer.deliver(jsonMessage({ n: 3 }), never)).toEqual({
          kind: "ack",
        });
        expect(await s.rows()).toHaveLength(1);
      } finally {
        await s.cleanup();
      }
    });

    it("an unreachable server gives a retry outcome", async () => {
      const t = target();
      const built = await deliverFrom(
        {
          hook: { module: t.module, connection: "db", "module-config": { table: "never_created" } },
        },
        { db: t.unreachable },
      );
      try {
        const outcome = await built.deliverer.deliver(jsonMessage({}), never);
        expect(outcome.kind).toBe("retry");
      } finally {
        await built.close();
      }
    });

    it("entries naming the same connection share one pool", async () => {
      const t = target();
      const tables = [uniqueName("wc_a"), uniqueName("wc_b")];
      const built = await deliverFrom(
        {
          a: { module: t.module, connection: "db", "module-config": { table: tables[0] } },
          b: { module: t.module, connection: "db", "module-config": { table: tables[1] } },
        },
        { db: t.connection },
      );
      try {
        await built.deliverer.deliver(jsonMessage({}, { webhookId: "a" }), never);
        await built.deliverer.deliver(jsonMessage({}, { webhookId: "b" }), never);
        for (const table of tables) {
          expect(await t.query(`SELECT message_id FROM ${t.quote(table)}`)).toHaveLength(1);
        }
      } finally {
        await built.close();
        for (const table of tables) await t.drop(table);
      }
    });
  });
}
