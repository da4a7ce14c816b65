/**
 * Attaching reads the same on every transport: one fault in a Hello (or in
 * the query string that is the Hello of the HTTP transports) gives the
 * same WC_ERR_ code and message everywhere, in each transport's framing —
 * a Connect status (gRPC, Connect, Subscribe over HTTP/1.1, Pull), an
 * ERROR Notice (WebSocket protobuf), an HTTP error answer (WebSocket JSON
 * before the upgrade, SSE, long-poll). A valid Hello attaches everywhere
 * with the same session options.
 */
import { create, fromBinary, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { request } from "undici";
import { describe, expect, it } from "vitest";
import WebSocket from "ws";
import {
  ConnectRequestSchema,
  ConnectResponseSchema,
  type Hello,
  RelayService,
} from "../../../gen/webhookconnect/v1/relay_pb.js";
import { connectCodeOf, type ErrorCode, errorCodes } from "../../../receiver/errors.js";
import { type TestReceiver, useTestReceivers } from "./harness.js";

const start = useTestReceivers();
const auth = { authorization: "Bearer tok" };

/** What a client asks for; `undefined`: its first frame is not a Hello. */
type HelloInit = Pick<Hello, "channel" | "group" | "connectorId" | "maxInFlight">;

/** How an attach attempt ended, in the transport's own terms. */
type Outcome =
  | { readonly kind: "attached" }
  | { readonly kind: "connect"; readonly error: ConnectError }
  | { readonly kind: "notice"; readonly code: string; readonly message: string }
  | { readonly kind: "http"; readonly status: number; readonly body: Record<string, unknown> };

/** One transport: attaches with `hello` and reports how it went (closing what it opened). */
interface Adapter {
  readonly name: string;
  /** Whether the transport has a first frame that can be something else than a Hello. */
  readonly helloFrame: boolean;
  attach(r: TestReceiver, hello: HelloInit | undefined): Promise<Outcome>;
}

async function drainRpc(responses: AsyncIterable<{ frame: { case: unknown } }>): Promise<Outcome> {
  try {
    for await (const response of responses) {
      if (response.frame.case === "welcome") return { kind: "attached" };
    }
    throw new Error("the stream ended without a Welcome or an error");
  } catch (error) {
    return connectFailure(error);
  }
}

/** A ConnectError as the attempt's outcome; any other error fails the test. */
function connectFailure(error: unknown): Outcome {
  if (error instanceof ConnectError) return { kind: "connect", error };
  throw error;
}

/** Drains the stream `open` starts, then aborts it: an attached stream stays open past its Welcome. */
async function drainThenAbort(
  open: (signal: AbortSignal) => AsyncIterable<{ frame: { case: unknown } }>,
): Promise<Outcome> {
  const abort = new AbortController();
  try {
    return await drainRpc(open(abort.signal));
  } finally {
    abort.abort();
  }
}

function bidi(name: string, transportOf: (url: string) => Transport): Adapter {
  return {
    name,
    helloFrame: true,
    async attach(r, hello) {
      const client = createClient(RelayService, transportOf(r.url));
      return drainThenAbort((signal) => {
        async function* outgoing() {
          yield create(ConnectRequestSchema, {
            frame:
              hello === undefined
                ? { case: "heartbeat", value: {} }
                : { case: "hello", value: hello },
          });
          await new Promise((resolve) => signal.addEventListener("abort", resolve));
        }
        return client.connect(outgoing(), { headers: auth, signal });
      });
    },
  };
}

const subscribeHttp1: Adapter = {
  name: "Subscribe, Connect over HTTP/1.1",
  helloFrame: true,
  async attach(r, hello) {
    const transport = createConnectTransport({ baseUrl: r.url, httpVersion: "1.1" });
    return drainThenAbort((signal) =>
      createClient(RelayService, transport).subscribe(hello === undefined ? {} : { hello }, {
        headers: auth,
        signal,
      }),
    );
  },
};

const pull: Adapter = {
  name: "Pull (gRPC)",
  helloFrame: true,
  async attach(r, hello) {
    const client = createClient(RelayService, createGrpcTransport({ baseUrl: r.url }));
    try {
      await client.pull(
        { ...(hello === undefined ? {} : { hello }), timeout: durationFromMs(0) },
        { headers: auth },
      );
      return { kind: "attached" };
    } catch (error) {
      return connectFailure(error);
    }
  },
};

/**
 * Opens a WebSocket, handing every frame to `onMessage` from the first
 * (which may arrive with the handshake); resolves with the HTTP answer
 * when the upgrade is refused.
 */
function openWs(
  url: string,
  protocols: string[],
  onMessage: (data: Buffer) => void,
): Promise<{ ws: WebSocket } | { status: number; body: Record<string, unknown> }> {
  const ws = new WebSocket(url, protocols, { headers: auth });
  ws.on("message", onMessage);
  return new Promise((resolve, reject) => {
    ws.once("open", () => resolve({ ws }));
    ws.once("error", reject);
    ws.once("unexpected-response", (_req, res) => {
      let text = "";
      res.on("data", (chunk: Buffer) => {
        text += chunk.toString();
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
  });
}

function wsUrl(r: TestReceiver, channel: string, query = ""): string {
  return `${r.url.replace("http", "ws")}/connect/stream/${channel}${query}`;
}

/**
 * Attaches over a WebSocket: sends `first` (if any) once open and settles
 * on the first frame `read` makes an outcome of; a refused upgrade is the
 * HTTP outcome.
 */
async function attachWs(
  url: string,
  protocols: string[],
  read: (data: Buffer) => Outcome | undefined,
  first?: Uint8Array,
): Promise<Outcome> {
  let settle: (outcome: Outcome) => void = () => undefined;
  const outcome = new Promise<Outcome>((resolve) => {
    settle = resolve;
  });
  const opened = await openWs(url, protocols, (data) => {
    const result = read(data);
    if (result !== undefined) settle(result);
  });
  if (!("ws" in opened)) return { kind: "http", ...opened };
  if (first !== undefined) opened.ws.send(first);
  try {
    return await outcome;
  } finally {
    opened.ws.close();
  }
}

const wsProto: Adapter = {
  name: "WebSocket protobuf",
  helloFrame: true,
  attach(r, hello) {
    const first: MessageInitShape<typeof ConnectRequestSchema>["frame"] =
      hello === undefined ? { case: "heartbeat", value: {} } : { case: "hello", value: hello };
    // The URL names the Hello's channel, as the bundled connector does.
    return attachWs(
      wsUrl(r, hello?.channel || "ch"),
      ["webhookconnect.v1.proto"],
      (data) => {
        const frame = fromBinary(ConnectResponseSchema, data).frame;
        if (frame.case === "welcome") return { kind: "attached" };
        if (frame.case === "notice") {
          return { kind: "notice", code: frame.value.code, message: frame.value.message };
        }
        return undefined;
      },
      toBinary(ConnectRequestSchema, create(ConnectRequestSchema, { frame: first })),
    );
  },
};

/** The query string of a Hello on the HTTP transports. */
function queryOf(hello: HelloInit): string {
  const query = new URLSearchParams({
    group: hello.group,
    connector_id: hello.connectorId,
    max_in_flight: String(hello.maxInFlight),
  });
  return `?${query}`;
}

const wsJson: Adapter = {
  name: "WebSocket JSON",
  helloFrame: false,
  attach(r, hello) {
    return attachWs(wsUrl(r, hello!.channel, queryOf(hello!)), [], (data) => {
      const frame = JSON.parse(String(data)) as Record<string, unknown>;
      if (frame["type"] === "connected") return { kind: "attached" };
      if (frame["type"] === "error") {
        return { kind: "notice", code: String(frame["code"]), message: String(frame["message"]) };
      }
      return undefined;
    });
  },
};

function plainHttp(name: string, suffix: "sse" | "poll"): Adapter {
  return {
    name,
    helloFrame: false,
    async attach(r, hello) {
      const query = `${queryOf(hello!)}${suffix === "poll" ? "&timeout=0" : ""}`;
      const res = await request(`${r.url}/connect/stream/${hello!.channel}/${suffix}${query}`, {
        headers: auth,
      });
      if (res.statusCode < 300) {
        // An SSE stream stays open: leave it (the receiver closes it after the test).
        res.body.on("error", () => undefined).destroy();
        return { kind: "attached" };
      }
      return { kind: "http", status: res.statusCode, body: (await res.body.json()) as never };
    },
  };
}

const adapters: readonly Adapter[] = [
  bidi("Connect call, gRPC", (baseUrl) => createGrpcTransport({ baseUrl })),
  bidi("Connect call, Connect over HTTP/2", (baseUrl) =>
    createConnectTransport({ baseUrl, httpVersion: "2" }),
  ),
  subscribeHttp1,
  pull,
  wsProto,
  wsJson,
  plainHttp("SSE", "sse"),
  plainHttp("long-poll", "poll"),
];

/** Asserts that `outcome` is the refusal `code` with `message`, in the transport's framing. */
function expectRefused(outcome: Outcome, code: ErrorCode, message: string): void {
  switch (outcome.kind) {
    case "attached":
      throw new Error(`attached, expected ${code}: ${message}`);
    case "connect":
      expect([outcome.error.code, outcome.error.rawMessage]).toEqual([
        connectCodeOf(code),
        message,
      ]);
      return;
    case "notice":
      expect([outcome.code, outcome.message]).toEqual([code, message]);
      return;
    case "http":
      expect([outcome.status, outcome.body["error"], outcome.body["message"]]).toEqual([
        errorCodes[code].http,
        errorCodes[code].wire,
        message,
      ]);
  }
}

const valid: HelloInit = { channel: "ch", group: "", connectorId: "attach-test", maxInFlight: 3 };

describe.each(adapters)("attaching over $name", (adapter) => {
  it("attaches a valid Hello with its group, in-flight limit and connector id", async () => {
    const r = await start();
    const outcome = await adapter.attach(r, { ...valid, group: "laptop-a" });
    expect(outcome.kind).toBe("attached");
    const opened = r.events.find((e) => e.type === "opened");
    expect(opened?.info).toMatchObject({
      channel: "ch",
      group: "laptop-a",
      maxInFlight: 3,
      connectorId: "attach-test",
    });
  });

  it("cuts a connector id to 128 characters", async () => {
    const r = await start();
    const outcome = await adapter.attach(r, { ...valid, connectorId: "c".repeat(300) });
    expect(outcome.kind).toBe("attached");
    const opened = r.events.find((e) => e.type === "opened");
    expect(opened?.info.connectorId).toBe("c".repeat(128));
  });

  it("refuses a group that is not a valid name", async () => {
    const r = await start();
    const outcome = await adapter.attach(r, { ...valid, group: "-not/a name" });
    expectRefused(
      outcome,
      "WC_ERR_STREAM_PROTOCOL",
      "group must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$",
    );
  });

  it("names an unknown channel before looking at the options", async () => {
    const r = await start();
    const outcome = await adapter.attach(r, { ...valid, channel: "nope", group: "-bad" });
    expectRefused(outcome, "WC_ERR_STREAM_UNKNOWN_CHANNEL", "unknown channel 'nope'");
  });

  it.runIf(adapter.helloFrame)("refuses a stream whose first frame is not a Hello", async () => {
    const r = await start();
    const outcome = await adapter.attach(r, undefined);
    expectRefused(outcome, "WC_ERR_STREAM_PROTOCOL", "the first frame must be a Hello");
  });
});
