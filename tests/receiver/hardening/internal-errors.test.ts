/**
 * Every 500 is reported with its cause (issue #14 §2): the router's catch,
 * the JSON stream endpoints, the admin API and the RPCs emit an internal
 * error event (main.ts logs it) instead of answering 500 and dropping the
 * cause. The cause never reaches the wire.
 */
import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { request } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { RelayService } from "../../../gen/webhookconnect/v1/relay_pb.js";
import { type RunningReceiver, startReceiver } from "../../../receiver/app.js";
import type { Buffer as RelayBuffer } from "../../../receiver/buffer/buffer.js";
import { createSqliteBuffer } from "../../../receiver/buffer/sqlite/index.js";
import { createRouter, type InternalErrorEvent } from "../../../receiver/server/router.js";
import { tempDir } from "../../helpers/processes.js";
import { configOf, relayed } from "./receiver-fixture.js";

const ADMIN = "internal-errors-admin-token";
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** A buffer whose `method` throws a plain (unexpected) error. */
function exploding(buffer: RelayBuffer, method: "fetch" | "stats"): RelayBuffer {
  return new Proxy(buffer, {
    get(target, property) {
      if (property === method) {
        return async () => {
          throw new TypeError(`${method} exploded`);
        };
      }
      const value = Reflect.get(target, property) as unknown;
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

async function startWith(method: "fetch" | "stats") {
  const sqlite = createSqliteBuffer({ path: join(tempDir("wc-internal-"), "b.db") });
  const events: InternalErrorEvent[] = [];
  const receiver: RunningReceiver = await startReceiver({
    config: configOf({ hook: relayed("ch") }),
    buffer: exploding(sqlite, method),
    host: "127.0.0.1",
    port: 0,
    adminToken: ADMIN,
    onInternalError: (event) => events.push(event),
  });
  closers.push(async () => {
    await receiver.close();
    await sqlite.close();
  });
  return { url: receiver.url, events };
}

describe("internal errors are reported with their cause", () => {
  it("the router's catch reports what a handler threw and answers a generic 500", async () => {
    const events: InternalErrorEvent[] = [];
    const router = createRouter(
      {
        ingest: async () => {
          throw new RangeError("handler exploded");
        },
        rpc: () => undefined,
        ready: async () => true,
      },
      { onInternalError: (event) => events.push(event) },
    );
    const server = http.createServer(router);
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    closers.push(() => new Promise((resolve) => server.close(() => resolve())));
    const { port } = server.address() as AddressInfo;
    const res = await request(`http://127.0.0.1:${port}/webhook/x`, { method: "POST", body: "{}" });
    expect(res.statusCode).toBe(500);
    expect(await res.body.text()).not.toContain("exploded");
    expect(events).toHaveLength(1);
    expect(events[0]!.where).toBe("POST /webhook/x");
    expect((events[0]!.error as Error).message).toBe("handler exploded");
  });

  it("a long-poll that fails unexpectedly", async () => {
    const r = await startWith("fetch");
    const res = await request(`${r.url}/connect/stream/ch/poll?timeout=1`, {
      headers: { authorization: "Bearer tok-ch" },
    });
    expect(res.statusCode).toBe(500);
    expect(await res.body.text()).not.toContain("exploded");
    expect(r.events.map((e) => (e.error as Error).message)).toEqual(["fetch exploded"]);
    expect(r.events[0]!.where).toBe("GET /connect/stream/ch/poll");
  });

  it("an admin request that fails unexpectedly", async () => {
    const r = await startWith("stats");
    const res = await request(`${r.url}/admin/webhook-connect/channels/ch/stats`, {
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    expect(res.statusCode).toBe(500);
    await res.body.dump();
    expect(r.events.map((e) => (e.error as Error).message)).toEqual(["stats exploded"]);
    expect(r.events[0]!.where).toBe("GET /admin/webhook-connect/channels/ch/stats");
  });

  it("an RPC that fails unexpectedly", async () => {
    const r = await startWith("fetch");
    const client = createClient(RelayService, createGrpcTransport({ baseUrl: r.url }));
    const error = await client
      .pull(
        { hello: { channel: "ch" }, maxMessages: 1 },
        { headers: { authorization: "Bearer tok-ch" } },
      )
      .then(
        () => undefined,
        (thrown: unknown) => ConnectError.from(thrown),
      );
    expect(error?.code).toBe(Code.Internal);
    expect(error?.rawMessage).not.toContain("exploded");
    expect(r.events.map((e) => (e.error as Error).message)).toEqual(["fetch exploded"]);
    expect(r.events[0]!.where).toBe("rpc Pull");
  });
});
