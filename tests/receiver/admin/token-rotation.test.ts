/**
 * Token rotation through the admin API across two receivers sharing one
 * store (one SQLite buffer object, or two JetStream buffers on one NATS),
 * checked with real gRPC connections; the new token survives a restart.
 */
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterEach, beforeAll, describe, expect, it, type TestContext } from "vitest";
import type { Buffer } from "../../../receiver/buffer/buffer.js";
import { createJetStreamBuffer } from "../../../receiver/buffer/jetstream/index.js";
import { createSqliteBuffer } from "../../../receiver/buffer/sqlite/index.js";
import { tempDir } from "../../helpers/processes.js";
import { serviceAvailable } from "../../helpers/services.js";
import {
  channelDocument,
  GrpcConsumer,
  type ReceiverUnderTest,
  removeDir,
  startUnderTest,
} from "./fixture.js";

const ADMIN_TOKEN = `adm-${randomUUID()}`;

interface Store {
  /** A buffer on the store (for SQLite the same object until `forget`). */
  open(): Promise<Buffer>;
  /** Forgets closed buffers, so `open` opens the store anew (a restart). */
  forget(): void;
  /** Deletes temporary files. */
  cleanup(): void;
}

const stores: { name: string; service?: "nats"; make(): Store }[] = [
  {
    name: "one SQLite buffer shared in-process",
    make() {
      const dir = tempDir("wc-rotate-");
      let current: Buffer | undefined;
      return {
        async open() {
          current ??= createSqliteBuffer({ path: join(dir, "buffer.db") });
          return current;
        },
        forget() {
          current = undefined;
        },
        cleanup() {
          removeDir(dir);
        },
      };
    },
  },
  {
    name: "two JetStream buffers on one NATS",
    service: "nats",
    make() {
      return {
        open: () => createJetStreamBuffer({ servers: ["nats://127.0.0.1:4222"] }),
        forget() {},
        cleanup() {},
      };
    },
  },
];

async function tryConnect(url: string, channel: string, token: string): Promise<"ok" | Code> {
  const consumer = new GrpcConsumer(url, channel, token);
  try {
    await consumer.welcome;
    return "ok";
  } catch (error) {
    return error instanceof ConnectError ? error.code : Code.Unknown;
  } finally {
    await consumer.close();
  }
}

for (const backend of stores) {
  describe(`token rotation on ${backend.name}`, () => {
    let available = true;
    const receivers: ReceiverUnderTest[] = [];
    const buffers = new Set<Buffer>();
    let cleanup: (() => void) | undefined;

    beforeAll(async () => {
      if (backend.service !== undefined) available = await serviceAvailable(backend.service);
    });

    /** Closes every receiver, then every buffer (a full stop of the store's users). */
    async function closeAll() {
      for (const rx of receivers.splice(0)) await rx.receiver.close();
      for (const buffer of buffers) await buffer.close();
      buffers.clear();
    }

    afterEach(async () => {
      await closeAll();
      cleanup?.();
    });

    /** A new store (its files cleaned up after the test) and a fresh channel's document; skips when the store's service is down. */
    function freshChannel(ctx: TestContext) {
      if (!available) ctx.skip();
      const store = backend.make();
      cleanup = store.cleanup;
      const channel = `rot-${randomUUID().slice(0, 8)}`;
      const configured = `tok-${randomUUID()}`;
      return { store, channel, configured, document: channelDocument(channel, configured) };
    }

    async function start(store: Store, document: Record<string, unknown>) {
      const buffer = await store.open();
      buffers.add(buffer);
      const rx = await startUnderTest(document, buffer, { adminToken: ADMIN_TOKEN });
      receivers.push(rx);
      return rx;
    }

    it("a token rotated on A works on B at once; the old one works until the grace ends", async (ctx) => {
      const { store, channel, configured, document } = freshChannel(ctx);
      const a = await start(store, document);
      const b = await start(store, document);
      expect(await tryConnect(b.url, channel, configured)).toBe("ok");

      const rotation = await a.admin("POST", `/channels/${channel}/rotate-token`, {
        body: { grace_period_seconds: 2 },
      });
      expect(rotation.status).toBe(200);
      const fresh: string = rotation.json.new_token;
      expect(fresh).not.toBe(configured);
      expect(rotation.json.message).toContain("grace period");
      const expiresAt = Date.parse(rotation.json.old_token_expires_at);
      expect(expiresAt).toBeGreaterThan(Date.now());

      expect(await tryConnect(b.url, channel, fresh)).toBe("ok");
      expect(await tryConnect(a.url, channel, fresh)).toBe("ok");
      expect(await tryConnect(b.url, channel, configured)).toBe("ok");
      expect(await tryConnect(b.url, channel, "tok-never-valid")).toBe(Code.Unauthenticated);

      const detail = await b.admin("GET", `/channels/${channel}`);
      expect(Date.parse(detail.json.token_rotated_at)).toBeGreaterThan(0);
      expect(JSON.stringify(detail.json)).not.toContain(fresh);

      // The grace period runs on the wall clock: wait for its end, then the
      // old token is refused on both replicas (B re-reads within 5 s).
      await expect
        .poll(() => tryConnect(a.url, channel, configured), { timeout: 10_000, interval: 250 })
        .toBe(Code.Unauthenticated);
      expect(Date.now()).toBeGreaterThanOrEqual(expiresAt);
      await expect
        .poll(() => tryConnect(b.url, channel, configured), { timeout: 10_000, interval: 250 })
        .toBe(Code.Unauthenticated);
      expect(await tryConnect(b.url, channel, fresh)).toBe("ok");
    }, 30_000);

    it("the rotated token survives a restart of every receiver", async (ctx) => {
      const { store, channel, configured, document } = freshChannel(ctx);
      const a = await start(store, document);
      const rotation = await a.admin("POST", `/channels/${channel}/rotate-token`, {
        body: { grace_period_seconds: 0 },
      });
      expect(rotation.status).toBe(200);
      await closeAll();
      store.forget();
      const again = await start(store, document);
      expect(await tryConnect(again.url, channel, rotation.json.new_token)).toBe("ok");
      expect(await tryConnect(again.url, channel, configured)).toBe(Code.Unauthenticated);
    }, 30_000);
  });
}
