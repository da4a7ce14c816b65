/** `webhook-connect status` against a running receiver, and its one-line errors. */
import { randomUUID } from "node:crypto";
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { SqliteBuffer } from "../../../receiver/buffer/sqlite/index.js";
import { runStatusCli } from "../../../receiver/status.js";
import { freePort } from "../../helpers/processes.js";
import {
  channelDocument,
  GrpcConsumer,
  type ReceiverUnderTest,
  startUnderTest,
} from "./fixture.js";
import { startOnFreshSqlite } from "./per-test.js";

const ADMIN_TOKEN = `adm-${randomUUID()}`;

async function run(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, "log").mockImplementation((line: unknown) => {
    out.push(String(line));
  });
  const error = vi.spyOn(console, "error").mockImplementation((line: unknown) => {
    err.push(String(line));
  });
  try {
    const code = await runStatusCli(argv, {});
    return { code, stdout: out.join("\n"), stderr: err.join("\n") };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

describe("webhook-connect status", () => {
  let buffer: SqliteBuffer;
  let rx: ReceiverUnderTest;
  const token = `tok-${randomUUID()}`;

  beforeEach(async () => {
    ({ rx, buffer } = await startOnFreshSqlite(channelDocument("alpha", token), {
      adminToken: ADMIN_TOKEN,
    }));
  });

  it("prints a table of channels with queued, in flight, connectors and dead letters", async () => {
    for (let i = 0; i < 4; i++)
      expect((await rx.send("alpha-plain", `{"i":${i}}`)).status).toBe(200);
    const consumer = new GrpcConsumer(rx.url, "alpha", token, { maxInFlight: 2 });
    const [first] = await consumer.waitForMessages(2);
    consumer.nack(first!.messageId, false, "HTTP 410");
    await expect.poll(async () => (await buffer.stats("alpha")).deadLetterQueued).toBe(1);
    // The connection's freed credit takes the next message: wait for that, so
    // the numbers compared below cannot move between the two reads.
    await expect.poll(async () => (await buffer.stats("alpha")).inFlight).toBe(2);
    const stats = await buffer.stats("alpha");
    try {
      const result = await run(["--cloud-url", rx.url, "--admin-token", ADMIN_TOKEN]);
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      const lines = result.stdout.split("\n");
      const header = lines.find((line) => line.startsWith("CHANNEL"));
      expect(header).toMatch(/^CHANNEL\s+QUEUED\s+IN FLIGHT\s+CONNECTORS\s+DEAD LETTERS/);
      const row = lines.find((line) => line.startsWith("alpha"))!;
      const [name, queued, inFlight, connectors, dead] = row.split(/\s+/);
      expect(name).toBe("alpha");
      expect(Number(queued)).toBe(stats.queued);
      expect(Number(inFlight)).toBe(stats.inFlight);
      expect(Number(connectors)).toBe(1);
      expect(Number(dead)).toBe(1);
      // Per group: queue, in flight and lag (messages are unfinished, so it is not 0).
      const groupRow = lines.find((line) => line.startsWith("alpha/default"))!;
      const [, pending, groupInFlight, lag] = groupRow.split(/\s+/);
      expect(Number(pending)).toBe(stats.groups[0]!.pending);
      expect(Number(groupInFlight)).toBe(stats.groups[0]!.inFlight);
      expect(lag).toMatch(/^(\d+ms|\d+\.\ds)$/);
    } finally {
      await consumer.close();
    }
  });

  it("prints JSON with --json", async () => {
    const result = await run(["--cloud-url", rx.url, "--admin-token", ADMIN_TOKEN, "--json"]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ total_channels: 1 });
  });

  it("says the token was refused on 401", async () => {
    const result = await run(["--cloud-url", rx.url, "--admin-token", "wrong"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      "webhook-connect status: the receiver refused the admin token (401); check --admin-token or WEBHOOK_CONNECT_ADMIN_TOKEN",
    );
  });

  it("says the admin API is disabled on 403", async () => {
    const disabled = await startUnderTest(channelDocument("beta", "tok-b"), buffer);
    try {
      const result = await run(["--cloud-url", disabled.url, "--admin-token", ADMIN_TOKEN]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain("admin API is disabled (403)");
      expect(result.stderr.split("\n")).toHaveLength(1);
    } finally {
      await disabled.receiver.close();
    }
  });

  it("says the receiver is unreachable", async () => {
    const port = await freePort();
    const result = await run(["--cloud-url", `http://127.0.0.1:${port}`, "--admin-token", "x"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `webhook-connect status: cannot reach http://127.0.0.1:${port} (ECONNREFUSED)`,
    );
  });

  it("exits 2 on bad usage", async () => {
    expect((await run(["--admin-token", "x"])).code).toBe(2);
    expect((await run(["--cloud-url", rx.url])).code).toBe(2);
    expect((await run(["--cloud-url", rx.url, "--admin-token", "x", "--bogus"])).code).toBe(2);
  });
});
