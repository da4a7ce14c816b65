/**
 * Fuzzes a running receiver with at least 10,000 random and mutated
 * requests (raw HTTP/1.1 bytes, well-formed HTTP/1.1 through Node's client, and
 * HTTP/2) at bounded concurrency. Afterwards: no 5xx other than 503 was
 * answered, no unhandled rejection or uncaught exception fired, the heap
 * did not grow past a bound between the first and the last thousand
 * requests, and the receiver still answers /health and accepts a webhook.
 *
 * Then the streaming side: RelayService calls with random and mutated
 * frames (gRPC over HTTP/2), WebSocket frames of both subprotocols, and
 * the JSON-frame endpoints (SSE, long-poll, `POST /connect/ack`) with
 * random parameters and bodies, over messages with random bodies. No call
 * may end INTERNAL/UNKNOWN or 5xx (but 503), no WebSocket may be closed
 * 1011 or get an internal error frame, and no internal error may be
 * reported.
 *
 * Seeded: a failure prints the seed; rerun with FUZZ_SEED=<seed>.
 */
import { randomInt } from "node:crypto";
import http from "node:http";
import http2 from "node:http2";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import WebSocket from "ws";
import type { InternalErrorEvent } from "../../../receiver/server/router.js";
import {
  type ClientFuzzCase,
  clientCase,
  FUZZ_MAX_BYTES,
  FUZZ_SECRET,
  FUZZ_TOKEN,
  FUZZ_WEBHOOKS,
  Random,
  type RawFuzzCase,
  rawCase,
} from "./fuzz-requests.js";
import {
  clientJsonText,
  type JsonEndpointCase,
  jsonEndpointCase,
  type RpcFuzzCase,
  rpcCase,
  STREAM_CHANNEL,
  type WebSocketFuzzCase,
  webSocketCase,
} from "./fuzz-streams.js";
import { exchange, openSocket } from "./raw-client.js";
import { type ReceiverFixture, relayed, send, startReceiverFixture } from "./receiver-fixture.js";

const SEED = process.env["FUZZ_SEED"]
  ? Number(process.env["FUZZ_SEED"])
  : randomInt(1, 2 ** 31 - 1);
/** Requests sent in all. */
const TOTAL = 10_000;
/** The run stops here even if TOTAL was not reached (and then fails, naming the seed). */
const DEADLINE_MS = 45_000;
const CONCURRENCY = 12;
/** Window at the start and the end of the run between which heap growth is measured. */
const WINDOW = 1_000;
/** Largest tolerated heapUsed growth (after a forced GC) from the first to the last window. */
const HEAP_GROWTH_BOUND_BYTES = 24 * 1024 * 1024;
/** A raw connection silent this long counts as a hang (the server should always close). */
const IDLE_MS = 8_000;

// Forced GC without starting the worker with --expose-gc.
setFlagsFromString("--expose-gc");
const collectGarbage = runInNewContext("gc") as () => void;

function heapAfterGc(): number {
  collectGarbage();
  collectGarbage();
  return process.memoryUsage().heapUsed;
}

interface Outcome {
  readonly label: string;
  readonly index: number;
  readonly statuses: readonly number[];
}

const CHANNEL = "ch-fuzz";
const moduleConfig = { max_message_bytes: FUZZ_MAX_BYTES, max_queue_size: 1_000_000 };
const document = {
  [FUZZ_WEBHOOKS.json]: relayed(CHANNEL, {}, moduleConfig),
  [FUZZ_WEBHOOKS.blob]: relayed(CHANNEL, { data_type: "blob" }, moduleConfig),
  [FUZZ_WEBHOOKS.hmac]: relayed(
    CHANNEL,
    { hmac: { secret: FUZZ_SECRET, header: "X-Signature", prefix: "sha256=" } },
    moduleConfig,
  ),
  "fz-stream-blob": relayed(STREAM_CHANNEL, { data_type: "blob" }, moduleConfig),
  [FUZZ_WEBHOOKS.limited]: relayed(
    CHANNEL,
    {
      authorization: `Bearer ${FUZZ_TOKEN}`,
      rate_limit: { max_requests: 25, window_seconds: 3_600 },
    },
    moduleConfig,
  ),
};

let fixture: ReceiverFixture;
let agent: http.Agent;
let session: http2.ClientHttp2Session | undefined;
const processFaults: unknown[] = [];
const internalErrors: InternalErrorEvent[] = [];
const onFault = (error: unknown) => processFaults.push(error);

beforeAll(async () => {
  process.on("unhandledRejection", onFault);
  process.on("uncaughtException", onFault);
  fixture = await startReceiverFixture(document, {
    limits: { headersTimeoutMs: 3_000, requestTimeoutMs: 6_000, maxHeaderBytes: 16_384 },
    heartbeatIntervalMs: 2_000,
    onInternalError: (event) => internalErrors.push(event),
  });
  agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
});

afterAll(async () => {
  session?.destroy();
  agent?.destroy();
  await fixture?.close();
  process.off("unhandledRejection", onFault);
  process.off("uncaughtException", onFault);
});

/** A request the server never finished answering within IDLE_MS. */
const HANG = "hang";

async function sendRaw(testCase: RawFuzzCase): Promise<number[] | typeof HANG> {
  if (testCase.abort) {
    const socket = await openSocket(fixture.port);
    await new Promise<void>((resolve) => socket.write(testCase.bytes, () => resolve()));
    socket.destroy();
    return [];
  }
  const result = await exchange(fixture.port, testCase.bytes, IDLE_MS);
  return result.timedOut ? HANG : result.statuses;
}

/** Well-formed HTTP/1.1 through Node's client on keep-alive connections. */
function sendWithAgent(testCase: ClientFuzzCase): Promise<number[] | typeof HANG> {
  return new Promise((resolve) => {
    let request: http.ClientRequest;
    try {
      request = http.request(`${fixture.url}${testCase.path}`, {
        method: testCase.method,
        headers: testCase.headers,
        agent,
      });
    } catch {
      // Node's client refused the generated header or path itself.
      resolve([]);
      return;
    }
    request.setTimeout(IDLE_MS, () => {
      resolve(HANG);
      request.destroy();
    });
    request.on("response", (response) => {
      response.resume();
      response.on("end", () => resolve([response.statusCode ?? 0]));
      response.on("error", () => resolve([response.statusCode ?? 0]));
    });
    // The server may close a connection whose body it did not read (413, 431).
    request.on("error", () => resolve([]));
    request.end(testCase.body);
  });
}

function h2Session(): http2.ClientHttp2Session {
  if (session === undefined || session.destroyed || session.closed) {
    session = http2.connect(fixture.url);
    session.on("error", () => undefined);
  }
  return session;
}

async function sendWithHttp2(testCase: ClientFuzzCase): Promise<number[] | typeof HANG> {
  return new Promise((resolve) => {
    let status: number | undefined;
    let stream: http2.ClientHttp2Stream;
    try {
      stream = h2Session().request({
        ":method": testCase.method,
        ":path": testCase.path,
        ...testCase.headers,
      });
    } catch {
      resolve([]);
      return;
    }
    stream.on("response", (headers) => {
      status = headers[":status"];
    });
    const done = () => resolve(status === undefined ? [] : [status]);
    stream.setTimeout(IDLE_MS, () => {
      resolve(HANG);
      stream.close(http2.constants.NGHTTP2_CANCEL);
    });
    stream.on("error", done);
    stream.on("close", done);
    stream.resume();
    stream.end(testCase.body);
  });
}

async function runOne(rng: Random, index: number): Promise<Outcome | { hang: string }> {
  const transport = rng.next();
  if (transport < 0.75) {
    const testCase = rawCase(rng);
    const statuses = await sendRaw(testCase);
    const label = `raw ${testCase.label} ${testCase.bytes.subarray(0, 60).toString("latin1")}`;
    if (statuses === HANG) return { hang: `#${index} ${label}` };
    return { label, index, statuses };
  }
  const testCase = clientCase(rng);
  const viaHttp2 = transport >= 0.93;
  const statuses = viaHttp2 ? await sendWithHttp2(testCase) : await sendWithAgent(testCase);
  const label = `${viaHttp2 ? "h2" : "http1"} ${testCase.label} ${testCase.path}`;
  if (statuses === HANG) return { hang: `#${index} ${label}` };
  return { label, index, statuses };
}

/**
 * 5xx answers that are not defects: 503 (buffer full/unavailable, with
 * Retry-After), and on the Connect-RPC routes 501, which the Connect
 * protocol prescribes for an unsupported Content-Encoding (`unimplemented`).
 */
function allowedServerStatus(outcome: Outcome, status: number): boolean {
  if (status === 503) return true;
  return status === 501 && outcome.label.includes("/webhookconnect.v1.RelayService/");
}

describe("ingest fuzz", () => {
  it(`survives ${TOTAL} random and mutated requests`, {
    timeout: DEADLINE_MS + 30_000,
  }, async () => {
    onTestFailed(() => {
      console.error(`ingest fuzz failed with seed ${SEED}; rerun with FUZZ_SEED=${SEED}`);
    });
    const rng = new Random(SEED);
    const started = performance.now();
    const outcomes: Outcome[] = [];
    const hangs: string[] = [];
    let issued = 0;
    let heapAfterFirstWindow = 0;

    // Cases are generated in issue order from one PRNG, so a seed replays the same sequence.
    const runUntil = async (limit: number) => {
      const worker = async () => {
        while (issued < limit && performance.now() - started < DEADLINE_MS) {
          const index = issued++;
          const caseRng = new Random(Math.floor(rng.next() * 2 ** 32));
          const outcome = await runOne(caseRng, index);
          if ("hang" in outcome) hangs.push(outcome.hang);
          else outcomes.push(outcome);
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    };

    await runUntil(WINDOW);
    heapAfterFirstWindow = heapAfterGc();
    await runUntil(TOTAL);
    const heapAtEnd = heapAfterGc();
    const elapsed = performance.now() - started;

    const seen = `seed ${SEED}`;
    expect(issued, `${seen}: only ${issued} requests within ${DEADLINE_MS} ms`).toBe(TOTAL);
    expect(processFaults, `${seen}: unhandled rejections / uncaught exceptions`).toEqual([]);
    expect(internalErrors.map(describeInternal), `${seen}: internal errors`).toEqual([]);
    const serverErrors = outcomes.filter((outcome) =>
      outcome.statuses.some((status) => status >= 500 && !allowedServerStatus(outcome, status)),
    );
    expect(serverErrors.slice(0, 5), `${seen}: 5xx answers`).toEqual([]);
    expect(hangs.slice(0, 40), `${seen}: connections the server never closed`).toEqual([]);
    const statuses = outcomes.flatMap((outcome) => outcome.statuses);
    // The generator is not all garbage: some requests were accepted and stored.
    expect(statuses.filter((status) => status === 200).length, seen).toBeGreaterThan(TOTAL / 200);
    expect(heapAtEnd - heapAfterFirstWindow, `${seen}: heap growth`).toBeLessThan(
      HEAP_GROWTH_BOUND_BYTES,
    );

    const health = await send(`${fixture.url}/health`, { method: "GET" });
    expect(health.status, seen).toBe(200);
    const webhook = await send(`${fixture.url}/webhook/${FUZZ_WEBHOOKS.json}`, {
      headers: { "Content-Type": "application/json" },
      body: '{"after":"fuzz"}',
    });
    expect(webhook.status, seen).toBe(200);

    const counts = new Map<number, number>();
    for (const status of statuses) counts.set(status, (counts.get(status) ?? 0) + 1);
    console.info(
      `ingest fuzz seed ${SEED}: ${issued} requests in ${Math.round(elapsed)} ms; statuses ${JSON.stringify(
        Object.fromEntries([...counts].sort(([a], [b]) => a - b)),
      )}; heap ${(heapAfterFirstWindow / 2 ** 20).toFixed(1)} → ${(heapAtEnd / 2 ** 20).toFixed(1)} MiB`,
    );
  });
});

function describeInternal(event: InternalErrorEvent): string {
  return `${event.where}: ${event.error instanceof Error ? event.error.stack : String(event.error)}`;
}

/** Stream cases issued in all. */
const STREAM_TOTAL = 3_000;
const STREAM_DEADLINE_MS = 45_000;
const STREAM_CONCURRENCY = 8;

/** What one stream case saw that it must not have. */
type StreamDefect = string | undefined;

let rpcSession: http2.ClientHttp2Session | undefined;

function rpcH2(): http2.ClientHttp2Session {
  if (rpcSession === undefined || rpcSession.destroyed || rpcSession.closed) {
    rpcSession = http2.connect(fixture.url);
    rpcSession.on("error", () => undefined);
  }
  return rpcSession;
}

/** gRPC statuses (and Connect error codes) that mean the server failed, not the client. */
const SERVER_FAULT = /grpc-status:\s*(?:13|2)\b|"code":"(?:internal|unknown)"/;

async function sendRpc(testCase: RpcFuzzCase): Promise<StreamDefect | typeof HANG> {
  return new Promise((resolve) => {
    let stream: http2.ClientHttp2Stream;
    try {
      stream = rpcH2().request({
        ":method": "POST",
        ":path": `/webhookconnect.v1.RelayService/${testCase.method}`,
        ...testCase.headers,
      });
    } catch {
      resolve(undefined);
      return;
    }
    let status: number | undefined;
    let text = "";
    const statusOf = (headers: http2.IncomingHttpHeaders) => {
      if (headers[":status"] !== undefined) status = Number(headers[":status"]);
      const grpcStatus = headers["grpc-status"];
      if (grpcStatus !== undefined) text += `grpc-status: ${grpcStatus}\n`;
    };
    stream.on("response", statusOf);
    stream.on("trailers", statusOf);
    stream.on("data", (chunk: Buffer) => {
      text += chunk.toString("latin1");
      // A stream that is open and delivering is done being fuzzed.
      if (testCase.method === "Connect" || testCase.method === "Subscribe") {
        if (text.length > 0 && !stream.closed) stream.close(http2.constants.NGHTTP2_CANCEL);
      }
    });
    const timer = setTimeout(() => {
      resolve(HANG);
      stream.close(http2.constants.NGHTTP2_CANCEL);
    }, IDLE_MS);
    stream.on("error", () => undefined);
    stream.once("close", () => {
      clearTimeout(timer);
      if (status !== undefined && status >= 500 && status !== 503 && status !== 501) {
        resolve(`HTTP ${status}`);
      } else if (SERVER_FAULT.test(text)) {
        resolve(text.match(SERVER_FAULT)?.[0]);
      } else {
        resolve(undefined);
      }
    });
    stream.end(testCase.body);
  });
}

async function sendJsonEndpoint(testCase: JsonEndpointCase): Promise<StreamDefect | typeof HANG> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), IDLE_MS);
  try {
    const response = await request(`${fixture.url}${testCase.path}`, {
      method: testCase.method as "GET",
      headers: testCase.headers,
      ...(testCase.body === undefined ? {} : { body: testCase.body }),
      signal: abort.signal,
    });
    if (testCase.label === "sse" && response.statusCode === 200) {
      // A live stream: read until its first event, then leave.
      let seen = "";
      for await (const chunk of response.body) {
        seen += Buffer.from(chunk as Uint8Array).toString("utf8");
        if (seen.includes("event: connected")) break;
      }
      abort.abort();
    } else {
      await response.body.dump();
    }
    const status = response.statusCode;
    return status >= 500 && status !== 503 ? `HTTP ${status}` : undefined;
  } catch {
    return abort.signal.aborted && testCase.label !== "sse" ? HANG : undefined;
  } finally {
    clearTimeout(timer);
  }
}

/** The frame every session ends with: malformed, so the server answers it at once. */
const SENTINEL = { json: "not json", proto: Buffer.from([0x0a, 0xff]) };

async function sendWebSocket(testCase: WebSocketFuzzCase): Promise<StreamDefect | typeof HANG> {
  const url = `${fixture.url.replace(/^http/, "ws")}/connect/stream/${STREAM_CHANNEL}`;
  const ws = new WebSocket(url, testCase.protocol === "proto" ? ["webhookconnect.v1.proto"] : [], {
    headers: testCase.authorization === undefined ? {} : { authorization: testCase.authorization },
  });
  return new Promise((resolve) => {
    let defect: StreamDefect;
    const timer = setTimeout(() => {
      resolve(HANG);
      ws.terminate();
    }, IDLE_MS);
    const finish = (result: StreamDefect) => {
      clearTimeout(timer);
      resolve(defect ?? result);
      ws.terminate();
    };
    ws.on("error", () => undefined);
    ws.once("unexpected-response", (_req, res) => {
      const status = res.statusCode ?? 0;
      finish(status >= 500 && status !== 503 ? `upgrade HTTP ${status}` : undefined);
    });
    ws.on("message", (data, isBinary) => {
      const text = Buffer.from(data as Buffer).toString(isBinary ? "latin1" : "utf8");
      if (text.includes("WC_ERR_INTERNAL")) defect = `internal error frame: ${text.slice(0, 120)}`;
      if (text.includes("frame is not valid JSON") || text.includes("malformed frame ignored")) {
        finish(undefined);
      }
    });
    ws.once("close", (code) => finish(code === 1011 ? "closed 1011" : undefined));
    ws.once("open", () => {
      for (const frame of testCase.frames) ws.send(frame.data, { binary: frame.binary });
      const sentinel = testCase.protocol === "json" ? SENTINEL.json : SENTINEL.proto;
      ws.send(sentinel, { binary: testCase.protocol === "proto" });
    });
  });
}

describe("stream fuzz", () => {
  it(`survives ${STREAM_TOTAL} hostile RPC calls, WebSocket sessions and JSON-frame requests`, {
    timeout: STREAM_DEADLINE_MS + 30_000,
  }, async () => {
    const seed = SEED + 1;
    onTestFailed(() => {
      console.error(`stream fuzz failed with seed ${SEED}; rerun with FUZZ_SEED=${SEED}`);
    });
    const rng = new Random(seed);
    // Messages with random bodies (JSON, deep JSON, text, binary) for the frames to carry.
    const messageIds: string[] = [];
    for (let i = 0; i < 40; i++) {
      const body = rng.pick([
        () => rng.bytes(rng.int(0, 300)),
        () => Buffer.from(clientJsonText(rng, [])),
        () => Buffer.from(`${"[".repeat(5_000)}${"]".repeat(5_000)}`),
        () => Buffer.from('{"line":\r\n"breaks"}'),
      ])();
      const answer = await send(`${fixture.url}/webhook/fz-stream-blob`, { body });
      if (answer.status === 200) messageIds.push(String(JSON.parse(answer.text).message_id));
    }
    expect(messageIds.length).toBeGreaterThan(30);

    const started = performance.now();
    const defects: string[] = [];
    const counts = { rpc: 0, websocket: 0, "json-endpoint": 0 };
    let issued = 0;
    const worker = async () => {
      while (issued < STREAM_TOTAL && performance.now() - started < STREAM_DEADLINE_MS) {
        const index = issued++;
        const caseRng = new Random(Math.floor(rng.next() * 2 ** 32));
        const pick = caseRng.next();
        const testCase =
          pick < 0.45
            ? rpcCase(caseRng)
            : pick < 0.7
              ? webSocketCase(caseRng, messageIds)
              : jsonEndpointCase(caseRng, messageIds);
        counts[testCase.kind] += 1;
        const outcome =
          testCase.kind === "rpc"
            ? await sendRpc(testCase)
            : testCase.kind === "websocket"
              ? await sendWebSocket(testCase)
              : await sendJsonEndpoint(testCase);
        if (outcome === HANG)
          defects.push(`#${index} ${testCase.label}: no answer in ${IDLE_MS} ms`);
        else if (outcome !== undefined) defects.push(`#${index} ${testCase.label}: ${outcome}`);
      }
    };
    await Promise.all(Array.from({ length: STREAM_CONCURRENCY }, worker));
    rpcSession?.destroy();
    const seen = `seed ${SEED}`;
    expect(issued, `${seen}: only ${issued} stream cases within ${STREAM_DEADLINE_MS} ms`).toBe(
      STREAM_TOTAL,
    );
    expect(processFaults, `${seen}: unhandled rejections / uncaught exceptions`).toEqual([]);
    expect(defects.slice(0, 10), seen).toEqual([]);
    expect(internalErrors.map(describeInternal), `${seen}: internal errors`).toEqual([]);
    const health = await send(`${fixture.url}/health`, { method: "GET" });
    expect(health.status, seen).toBe(200);
    console.info(
      `stream fuzz seed ${SEED}: ${issued} cases in ${Math.round(performance.now() - started)} ms; ${JSON.stringify(counts)}`,
    );
  });
});
