/**
 * The local inspector end to end (issue 16): a real receiver (embedded
 * buffer), a real connector process and local targets. The JSON API lists
 * and searches the history, shows a delivery in full with the target's
 * answers, replays exact bytes (to the target or another URL, one or in
 * bulk), streams changes over SSE, refuses foreign hosts and origins, and
 * keeps the history across restarts.
 */
import { request } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { type RunningProcess, runCli, tempDir } from "../helpers/processes.js";
import { startTarget, type Target } from "../helpers/target.js";
import { e2eBackends, headerOf, Relay } from "./harness.js";

const sqlite = e2eBackends.find((backend) => backend.name === "sqlite")!;

interface Detail {
  message_id: string;
  outcome: string;
  status: number | null;
  method: string;
  path: string;
  query: string;
  headers: [string, string][];
  body_text: string | null;
  body_base64: string;
  source_ip: string;
  attempt_list: {
    status: number | null;
    replay: boolean;
    url: string;
    headers: [string, string][];
    body_text: string | null;
    local_retry: number;
  }[];
}

async function startConnector(relay: Relay, target: Target, stateDir: string, args: string[] = []) {
  const connector = runCli(
    relay.connectorFlags(
      `${target.url}/hooks`,
      "--protocol",
      "grpc",
      "--target-retry-enabled",
      "false",
      "--log-format",
      "json",
      ...args,
    ),
    { CONNECTOR_STATE_DIR: stateDir },
  );
  relay.processes.push(connector);
  const start = JSON.parse(await connector.waitForOutput(/\{.*"connector starting".*\}/)) as {
    inspector: string;
    history_file: string;
  };
  await connector.waitForOutput(/"msg":"connected"/);
  return { connector, inspector: start.inspector, historyFile: start.history_file };
}

async function api<T>(
  base: string,
  path: string,
  init: { method?: "GET" | "POST"; body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; json: T }> {
  const response = await request(`${base}${path}`, {
    method: init.method ?? "GET",
    headers:
      init.body === undefined
        ? (init.headers ?? {})
        : { "content-type": "application/json", ...init.headers },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  return { status: response.statusCode, json: (await response.body.json()) as T };
}

/** Collects the SSE `delivery` events of the inspector. */
async function subscribe(base: string) {
  const ids: string[] = [];
  const controller = new AbortController();
  const response = await request(`${base}/api/events`, { signal: controller.signal });
  expect(response.headers["content-type"]).toContain("text/event-stream");
  let text = "";
  const waiters: (() => void)[] = [];
  response.body.on("data", (chunk: Buffer) => {
    text += chunk.toString();
    for (const match of text.matchAll(/event: delivery\ndata: (.*)\n\n/g)) {
      const id = (JSON.parse(match[1]!) as { message_id: string }).message_id;
      if (!ids.includes(id)) ids.push(id);
    }
    for (const waiter of waiters.splice(0)) waiter();
  });
  response.body.on("error", () => {});
  return {
    ids,
    async waitFor(id: string) {
      while (!ids.includes(id)) await new Promise<void>((resolve) => waiters.push(resolve));
    },
    close: () => controller.abort(),
  };
}

describe("inspector e2e", () => {
  let openRelay: Relay | undefined;
  const targets: Target[] = [];
  const closers: (() => void)[] = [];

  afterEach(async () => {
    for (const close of closers.splice(0)) close();
    await openRelay?.close();
    for (const target of targets.splice(0)) await target.close();
    openRelay = undefined;
  });

  /** A relay on the embedded buffer with its receiver running, and a recording target: both closed after the test. */
  async function runningRelay(): Promise<{ relay: Relay; target: Target }> {
    const started = new Relay(sqlite);
    openRelay = started;
    const target = await startTarget();
    targets.push(target);
    await started.startReceiver();
    return { relay: started, target };
  }

  it("records, searches, shows, replays and streams deliveries", async () => {
    const { relay, target } = await runningRelay();
    const other = await startTarget();
    targets.push(other);
    target.reply((req) =>
      req.body.toString().includes("refuse")
        ? { status: 422, body: "unprocessable" }
        : {
            status: 200,
            headers: { "x-app": "seen", "content-type": "application/json" },
            body: '{"ok":true}',
          },
    );
    const stateDir = tempDir("wc-inspector-");
    const { inspector } = await startConnector(relay, target, stateDir);
    const events = await subscribe(inspector);
    closers.push(events.close);

    const body = '{ "type" : "invoice.paid",\n  "amount": 4200, "tag": "needle-4711" }';
    const sent = await relay.send("json_hook", body, {
      "content-type": "application/json",
      "X-Signature": "t=1,v1=abc",
    });
    const id = sent.json!["message_id"]!;
    await events.waitFor(id);
    const refused = await relay.send("json_hook", '{"refuse":true}');
    const refusedId = refused.json!["message_id"]!;
    await events.waitFor(refusedId);

    const list = await api<{
      deliveries: { message_id: string; outcome: string; status: number }[];
    }>(inspector, "/api/deliveries");
    expect(list.status).toBe(200);
    expect(list.json.deliveries.map((d) => d.message_id)).toEqual([refusedId, id]);
    expect(list.json.deliveries.map((d) => [d.outcome, d.status])).toEqual([
      ["dead_lettered", 422],
      ["acked", 200],
    ]);

    const found = await api<{ deliveries: { message_id: string }[] }>(
      inspector,
      "/api/deliveries?q=needle-4711",
    );
    expect(found.json.deliveries.map((d) => d.message_id)).toEqual([id]);
    const byHeader = await api<{ deliveries: { message_id: string }[] }>(
      inspector,
      "/api/deliveries?q=v1%3Dabc",
    );
    expect(byHeader.json.deliveries.map((d) => d.message_id)).toEqual([id]);
    const dead = await api<{ deliveries: { message_id: string }[] }>(
      inspector,
      "/api/deliveries?status=dead_lettered",
    );
    expect(dead.json.deliveries.map((d) => d.message_id)).toEqual([refusedId]);
    const none = await api<{ deliveries: unknown[] }>(
      inspector,
      "/api/deliveries?q=nothing-like-this",
    );
    expect(none.json.deliveries).toEqual([]);

    const detail = await api<Detail>(inspector, `/api/deliveries/${id}`);
    expect(detail.status).toBe(200);
    expect(detail.json).toMatchObject({
      outcome: "acked",
      method: "POST",
      path: "/webhook/json_hook",
      query: "source=e2e",
      body_text: body,
      source_ip: "127.0.0.1",
    });
    expect(Buffer.from(detail.json.body_base64, "base64").toString()).toBe(body);
    expect(detail.json.headers.map(([name]) => name)).toContain("X-Signature");
    expect(detail.json.attempt_list).toHaveLength(1);
    const first = detail.json.attempt_list[0]!;
    expect(first).toMatchObject({
      status: 200,
      replay: false,
      local_retry: 0,
      body_text: '{"ok":true}',
    });
    expect(first.url).toBe(`${target.url}/hooks?source=e2e`);
    expect(first.headers).toContainEqual(["x-app", "seen"]);

    // Replay to the target: the same bytes again, recorded as a new attempt.
    const replayed = await api<{ outcome: string; status: number }>(
      inspector,
      `/api/deliveries/${id}/replay`,
      {
        method: "POST",
        body: {},
      },
    );
    expect(replayed).toEqual({
      status: 200,
      json: expect.objectContaining({ outcome: "delivered", status: 200 }),
    });
    await events.waitFor(id);
    expect(target.requests).toHaveLength(3);
    expect(target.requests[2]!.body.toString()).toBe(body);
    expect(headerOf(target.requests[2]!.rawHeaders, "x-signature")).toBe("t=1,v1=abc");
    expect(headerOf(target.requests[2]!.rawHeaders, "x-webhook-message-id")).toBe(id);
    const after = await api<Detail>(inspector, `/api/deliveries/${id}`);
    expect(after.json.attempt_list.map((a) => a.replay)).toEqual([false, true]);

    // Replay elsewhere with target_url.
    const elsewhere = await api<{ target_url: string }>(inspector, `/api/deliveries/${id}/replay`, {
      method: "POST",
      body: { target_url: `${other.url}/copy` },
    });
    expect(elsewhere.json.target_url).toBe(`${other.url}/copy?source=e2e`);
    expect(other.requests.map((r) => [r.url, r.body.toString()])).toEqual([
      ["/copy?source=e2e", body],
    ]);

    // Bulk: the ids given, oldest first; and by filter.
    const bulk = await api<{ replayed: number; results: { message_id: string; status: number }[] }>(
      inspector,
      "/api/replay",
      { method: "POST", body: { ids: [refusedId, id], target_url: `${other.url}/bulk` } },
    );
    expect(bulk.json.replayed).toBe(2);
    expect(bulk.json.results.map((r) => r.message_id)).toEqual([id, refusedId]);
    const byFilter = await api<{ replayed: number }>(inspector, "/api/replay", {
      method: "POST",
      body: { filter: { status: "dead_lettered" }, target_url: `${other.url}/filtered` },
    });
    expect(byFilter.json.replayed).toBe(1);
    expect(other.requests.map((r) => r.url)).toEqual([
      "/copy?source=e2e",
      "/bulk?source=e2e",
      "/bulk?source=e2e",
      "/filtered?source=e2e",
    ]);
  }, 40_000);

  it("answers bad requests with clear errors and refuses foreign hosts and origins", async () => {
    const { relay, target } = await runningRelay();
    const { inspector } = await startConnector(relay, target, tempDir("wc-inspector-"));
    expect((await api(inspector, "/api/deliveries/nope")).status).toBe(404);
    expect(
      (await api(inspector, "/api/deliveries/nope/replay", { method: "POST", body: {} })).status,
    ).toBe(404);
    expect((await api(inspector, "/api/deliveries?status=maybe")).status).toBe(400);
    expect((await api(inspector, "/api/deliveries?limit=0")).status).toBe(400);
    expect(
      (await api(inspector, "/api/replay", { method: "POST", body: { ids: "x" } })).status,
    ).toBe(400);
    const plain = await request(`${inspector}/api/replay`, {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: '{"ids":[]}',
    });
    expect(plain.statusCode).toBe(415);
    await plain.body.text();
    expect(
      (await api(inspector, "/api/deliveries", { headers: { host: "evil.example:4040" } })).status,
    ).toBe(421);
    expect(
      (
        await api(inspector, "/api/replay", {
          method: "POST",
          body: { ids: [] },
          headers: { origin: "https://evil.example" },
        })
      ).status,
    ).toBe(403);
    const sandboxed = await api(inspector, "/api/replay", {
      method: "POST",
      body: { ids: [] },
      headers: { origin: "null" },
    });
    expect(sandboxed.status).toBe(403);
    const page = await request(`${inspector}/`);
    expect(page.statusCode).toBe(200);
    expect(page.headers["content-security-policy"]).toContain("default-src 'self'");
    expect(await page.body.text()).toContain("<title>Webhook Connect inspector</title>");
  }, 30_000);

  it("keeps the history across a restart", async () => {
    const { relay, target } = await runningRelay();
    const stateDir = tempDir("wc-inspector-");
    const first = await startConnector(relay, target, stateDir);
    const sent = await relay.send("json_hook", '{"keep":1}');
    const id = sent.json!["message_id"]!;
    await target.waitForRequests(1);
    let connector: RunningProcess = first.connector;
    // The history is committed within 100 ms; a clean stop commits the rest.
    expect(await connector.stop("SIGTERM")).toBe(0);
    const second = await startConnector(relay, target, stateDir);
    connector = second.connector;
    expect(second.historyFile).toBe(first.historyFile);
    const detail = await api<Detail>(second.inspector, `/api/deliveries/${id}`);
    expect(detail.status).toBe(200);
    expect(detail.json.body_text).toBe('{"keep":1}');
  }, 30_000);
});
