/**
 * Module mode end to end with real processes (SPEC §8): receiver → connector
 * with a sequential chain of postgresql + redis_publish + save_to_disk.
 * The Redis connection points at a port that refuses connections until
 * every message has been nacked once; then a TCP relay to the real Redis
 * opens on that port. Redeliveries must not re-run the PostgreSQL item
 * (a BEFORE INSERT trigger counts every insert attempt), and each message
 * ends up exactly once in every destination.
 */
import { readdir, readFile } from "node:fs/promises";
import { createServer, type Server, connect as tcpConnect } from "node:net";
import { join } from "node:path";
import { Redis } from "ioredis";
import pg from "pg";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { planTable } from "../../connector/modules/outputs/sql/options.js";
import { postgresDdl } from "../../connector/modules/outputs/sql/postgresql.js";
import { freePort, type RunningProcess, runCli, writeJson } from "../helpers/processes.js";
import { serviceAvailable } from "../helpers/services.js";
import { e2eBackends, Relay } from "./harness.js";

const sqlite = e2eBackends.find((backend) => backend.name === "sqlite")!;

/** A TCP relay from `port` to the local Redis, opened only when the test says so. */
async function relayToRedis(port: number): Promise<Server> {
  const server = createServer((client) => {
    const upstream = tcpConnect(6379, "127.0.0.1");
    client.pipe(upstream).pipe(client);
    client.on("error", () => upstream.destroy());
    upstream.on("error", () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return server;
}

describe("module mode e2e: chain of postgresql + redis_publish + save_to_disk", () => {
  let available = true;
  const cleanups: Array<() => Promise<unknown>> = [];

  beforeAll(async () => {
    available =
      (await serviceAvailable("postgres")) && (await serviceAvailable("redis")) && available;
  });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it("nacks while Redis is refused, then completes without repeating done items", async (ctx) => {
    if (!available) ctx.skip();
    const relay = new Relay(sqlite);
    cleanups.push(() => relay.close());
    const table = `e2e_chain_${relay.suffix.replaceAll("-", "")}`;
    const attempts = `${table}_attempts`;
    const channel = `e2e-chain-${relay.suffix}`;
    const outDir = join(relay.dir, "out");
    const redisPort = await freePort();

    const db = new pg.Client({ host: "127.0.0.1", port: 5432, user: "postgres", database: "test" });
    await db.connect();
    cleanups.push(async () => {
      await db.query(`DROP TABLE IF EXISTS "${table}"`);
      await db.query(`DROP TABLE IF EXISTS "${attempts}"`);
      await db.query(`DROP FUNCTION IF EXISTS "${attempts}_count"()`);
      await db.end();
    });
    // The module's own DDL, plus a trigger that records every insert attempt:
    // ON CONFLICT DO NOTHING hides a repeated insert from a row count, not from this.
    for (const statement of postgresDdl(planTable({ table }, { file: "test", keyPath: "" }))) {
      await db.query(statement);
    }
    await db.query(`CREATE TABLE "${attempts}" (message_id TEXT NOT NULL)`);
    await db.query(
      `CREATE FUNCTION "${attempts}_count"() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO "${attempts}" VALUES (NEW.message_id); RETURN NEW; END $$`,
    );
    await db.query(
      `CREATE TRIGGER "${table}_count" BEFORE INSERT ON "${table}" FOR EACH ROW EXECUTE FUNCTION "${attempts}_count"()`,
    );

    const subscriber = new Redis({ host: "127.0.0.1", port: 6379 });
    cleanups.push(async () => subscriber.disconnect());
    const published: Array<Record<string, unknown>> = [];
    subscriber.on("message", (_channel: string, text: string) => {
      published.push(JSON.parse(text) as Record<string, unknown>);
    });
    await subscriber.subscribe(channel);

    const webhooksConfig = writeJson(relay.dir, "modules-webhooks.json", {
      json_hook: {
        chain: [
          { module: "postgresql", connection: "pg", "module-config": { table } },
          { module: "redis_publish", connection: "cache", "module-config": { channel } },
          { module: "save_to_disk", "module-config": { path: outDir } },
        ],
        "chain-config": { execution: "sequential", continue_on_error: false, timeout: 5 },
      },
    });
    const connectionsConfig = writeJson(relay.dir, "modules-connections.json", {
      pg: { type: "postgresql", host: "127.0.0.1", port: 5432, database: "test", user: "postgres" },
      cache: { type: "redis", host: "127.0.0.1", port: redisPort },
    });
    await relay.startReceiver();
    const connectorConfig = writeJson(relay.dir, "modules-connector.json", {
      cloud_url: relay.url,
      channel: relay.channel,
      token: relay.token,
      protocol: "grpc",
      connector_id: "e2e-modules",
      reconnect_delay: 0.2,
      max_reconnect_delay: 1,
      log_level: "debug",
      webhooks_config: webhooksConfig,
      connections_config: connectionsConfig,
    });

    const bodies = [0, 1, 2].map((i) =>
      Buffer.from(
        `{"event" : "order.paid",\n  "n":${i}, "amount": 10.50, "z":1, "a":"caf\\u00e9"}`,
      ),
    );
    const ids: string[] = [];
    for (const body of bodies) {
      const res = await relay.send("json_hook", body);
      expect(res.status).toBe(200);
      ids.push(res.json!["message_id"]!);
    }
    const connector: RunningProcess = runCli(["connector", "--config", connectorConfig]);
    relay.processes.push(connector);
    for (const id of ids) {
      await connector.waitForOutput(
        new RegExp(`"message_id":"${id}"[^\\n]*delivery failed, will be redelivered`),
      );
    }
    // Every message failed at the Redis item once; PostgreSQL already has it.
    expect(published).toHaveLength(0);
    const server = await relayToRedis(redisPort);
    cleanups.push(() => new Promise((resolve) => server.close(resolve)));

    for (const id of ids) {
      await connector.waitForOutput(
        new RegExp(`"message_id":"${id}"[^\\n]*"msg":"delivered"`),
        45_000,
      );
    }
    // A graceful stop flushes the last acks; anything unacked would show up again below.
    expect(await connector.stop("SIGTERM")).toBe(0);

    for (const [i, id] of ids.entries()) {
      const rows = await db.query(`SELECT payload, body FROM "${table}" WHERE message_id = $1`, [
        id,
      ]);
      expect(rows.rowCount, `rows of message ${i}`).toBe(1);
      expect(Buffer.from(rows.rows[0].body as Buffer).equals(bodies[i]!)).toBe(true);
      expect(rows.rows[0].payload).toEqual(JSON.parse(bodies[i]!.toString()));
      const tries = await db.query(
        `SELECT count(*)::int AS n FROM "${attempts}" WHERE message_id = $1`,
        [id],
      );
      expect(tries.rows[0].n, `insert attempts of message ${i}`).toBe(1);
      expect(published.filter((p) => p["message_id"] === id)).toHaveLength(1);
      const files = (await filesIn(outDir)).filter((name) => name.includes(id));
      expect(files).toHaveLength(1);
      expect((await readFile(join(outDir, files[0]!))).equals(bodies[i]!)).toBe(true);
    }
    expect(await filesIn(outDir)).toHaveLength(ids.length);
    const redelivered = published.map((p) => p["delivery_attempt"] as number);
    expect(Math.min(...redelivered)).toBeGreaterThanOrEqual(2);
  }, 90_000);
});

async function filesIn(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((name) => !name.endsWith(".tmp"));
}
