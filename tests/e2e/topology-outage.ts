/**
 * A broker outage under a running receiver and connector, end to end, for
 * every shared-buffer backend: ingest answers 503 while the broker is away
 * and everything accepted is delivered once it is back, without a restart.
 */
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { startTarget } from "../helpers/target.js";
import { webhookSender } from "./harness.js";
import { countById, drained, statusOf, type TopologyBackend, until, World } from "./topology.js";
import { Fixture } from "./topology-scenarios.js";

/** A broker a test can take away and bring back. */
export interface OutageBroker {
  readonly backend: TopologyBackend;
  /** Makes the broker unreachable. */
  down(): Promise<void>;
  /** Makes it reachable again (same data). */
  up(): Promise<void>;
  /** Releases the broker after the test. */
  close(): Promise<void>;
}

/** The outage scenario of one backend. */
export interface OutageSuite {
  /** The describe block's name. */
  readonly describe: string;
  /** The broker as the test names it (`NATS is down`, `RabbitMQ is unreachable`). */
  readonly brokerAway: string;
  /** Whether a broker can be started (throws under CI when it cannot). */
  available(): boolean | Promise<boolean>;
  /** Starts the broker the test takes away. */
  start(): Promise<OutageBroker>;
  /** Whether the channel is deleted from the broker after the test (it outlives the test). */
  readonly deleteChannel: boolean;
  /** Whether the receiver logs `buffer disconnected` and `buffer reconnected`. */
  readonly logsConnection: boolean;
}

/** A receiver and a connector through a broker outage, on `suite`'s broker. */
export function describeOutage(suite: OutageSuite): void {
  describe(suite.describe, () => {
    let available = true;
    let broker: OutageBroker | undefined;
    const f = new Fixture();

    beforeAll(async () => {
      available = await suite.available();
    });

    afterEach(async () => {
      await f.close(suite.deleteChannel);
      await broker?.close();
      broker = undefined;
    });

    it(`answers 503 while ${suite.brokerAway} and delivers everything once it is back, without a restart`, async (ctx) => {
      if (!available) ctx.skip();
      broker = await suite.start();
      const b = broker;
      const send = webhookSender(`e2e-${b.backend.tag}`);
      const w = new World(b.backend, { ack_timeout_seconds: 2 });
      f.world = w;
      const target = await startTarget();
      f.target = target;
      let releaseHeld: () => void = () => undefined;
      const heldUntil = new Promise<void>((resolve) => {
        releaseHeld = resolve;
      });
      target.reply(async (req) => {
        if (req.body.toString().includes("held")) await heldUntil;
        return { status: 200 };
      });
      const receiver = await w.startReceiver();
      const connector = await w.startConnector(receiver, target.url, {
        id: "outage",
        maxConcurrent: 3,
        timeoutSeconds: 60,
      });
      const accepted: string[] = [];
      const post = async (body: string) => {
        const res = await send(receiver.url, "json_hook", body);
        expect(res.status, body).toBe(200);
        accepted.push(res.json!["message_id"]!);
      };
      for (let i = 0; i < 10; i++) await post(JSON.stringify({ before: i }));
      await target.waitForRequests(10, 15_000);
      // Three deliveries hang in the app (the connector's whole credit), so
      // five more wait in the broker, undelivered, when it goes away.
      for (let i = 0; i < 3; i++) await post(JSON.stringify({ held: i }));
      await target.waitForRequests(13, 15_000);
      for (let i = 0; i < 5; i++) await post(JSON.stringify({ queued: i }));
      expect(target.requests).toHaveLength(13);

      await b.down();
      await until(
        "GET /ready answers 503",
        async () => (await statusOf(`${receiver.url}/ready`)) === 503,
        15_000,
      );
      for (let i = 0; i < 5; i++) {
        const res = await send(receiver.url, "json_hook", JSON.stringify({ during: i }));
        expect(res.status).toBe(503);
        expect(res.headers["retry-after"]).toMatch(/^\d+$/);
        expect(res.json?.["error"]).toBe("buffer_unavailable");
      }
      expect(await statusOf(`${receiver.url}/health`)).toBe(200);
      if (suite.logsConnection) {
        // The operator reads why in the receiver's log.
        await receiver.process.waitForOutput(/"msg":"buffer disconnected[^"]*"/, 5_000);
      }
      // The app finishes the held deliveries while the broker is away: their
      // acks cannot be applied now, so the leases must still resolve later.
      releaseHeld();
      expect(receiver.process.child.exitCode).toBeNull();
      expect(connector.child.exitCode).toBeNull();

      await b.up();
      await until(
        "GET /ready answers 200",
        async () => (await statusOf(`${receiver.url}/ready`)) === 200,
        20_000,
      );
      for (let i = 0; i < 10; i++) await post(JSON.stringify({ after: i }));
      expect(receiver.process.child.exitCode).toBeNull();
      if (suite.logsConnection) {
        await receiver.process.waitForOutput(/"msg":"buffer reconnected"/, 5_000);
      }

      const buffer = await w.openBuffer();
      f.buffer = buffer;
      await drained(buffer, w.channel, undefined, [receiver.process, connector]);
      const seen = countById(target.requests);
      for (const id of accepted) expect(seen.has(id), id).toBe(true);
      expect(seen.size).toBe(accepted.length);
      // Redeliveries of the held messages were acked by the connector without
      // calling the app a second time.
      expect(target.requests).toHaveLength(accepted.length);
      expect(connector.child.exitCode).toBeNull();
    }, 90_000);
  });
}
