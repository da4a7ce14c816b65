/**
 * An in-test RelayService: the bidi Connect call served with
 * connectNodeAdapter on a real cleartext HTTP/2 server on 127.0.0.1:0
 * (gRPC and Connect protocols both). Tests drive each session by hand.
 */

import { createSecureServer, createServer, type Http2Session } from "node:http2";
import type { AddressInfo } from "node:net";
import { create } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import type { WebhookMessage } from "../../../gen/webhookconnect/v1/message_pb.js";
import {
  type ConnectRequest,
  type ConnectResponse,
  ConnectResponseSchema,
  HeartbeatSchema,
  type Hello,
  type Nack,
  RelayService,
  WelcomeSchema,
} from "../../../gen/webhookconnect/v1/relay_pb.js";

/** Behaviour of the fake relay. */
export interface FakeRelayOptions {
  /** Accepted bearer token. @default "secret-token" */
  readonly token?: string;
  /** Known channel. @default "test-channel" */
  readonly channel?: string;
  /** Welcome's max_in_flight; 0 echoes the Hello's. @default 0 */
  readonly maxInFlight?: number;
  /** Welcome's heartbeat interval. @default 10000 */
  readonly heartbeatIntervalMs?: number;
  /** Serve TLS (HTTP/2 with ALPN) instead of cleartext h2c; `ca` demands client certificates. */
  readonly tls?: { readonly key: Buffer; readonly cert: Buffer; readonly ca?: Buffer };
}

type Waiter = { readonly test: () => boolean; readonly resolve: () => void };

/** One Connect call as the server sees it. */
export class FakeSession {
  readonly frames: ConnectRequest[] = [];
  readonly ackFrames: string[][] = [];
  readonly nacks: Nack[] = [];
  heartbeats = 0;
  clientEnded = false;
  private readonly out: (ConnectResponse | Error | null)[] = [];
  private wake: (() => void) | undefined;
  private readonly waiters: Waiter[] = [];

  constructor(
    readonly hello: Hello,
    readonly authorization: string | null,
    readonly connectionId: string,
  ) {}

  /** All acked ids in arrival order. */
  get acks(): string[] {
    return this.ackFrames.flat();
  }

  /** Queues a frame for the client. */
  send(frame: ConnectResponse["frame"]): void {
    this.push(create(ConnectResponseSchema, { frame }));
  }

  /** Sends a webhook message. */
  sendMessage(message: WebhookMessage): void {
    this.send({ case: "message", value: message });
  }

  /** Sends a heartbeat. */
  sendHeartbeat(): void {
    this.send({ case: "heartbeat", value: create(HeartbeatSchema, {}) });
  }

  /** Ends the stream normally (server side). */
  end(): void {
    this.push(null);
  }

  /** Ends the stream with an error. */
  fail(code: Code, message: string): void {
    this.push(new ConnectError(message, code));
  }

  /** Resolves once `test` holds (checked after every client frame). */
  until(test: () => boolean): Promise<void> {
    if (test()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ test, resolve }));
  }

  /** @internal */
  record(frame: ConnectRequest | "end"): void {
    if (frame === "end") {
      // Like the real receiver: when the client half-closes, the server ends the stream.
      this.clientEnded = true;
      this.push(null);
    } else {
      this.frames.push(frame);
      const f = frame.frame;
      if (f.case === "ack") this.ackFrames.push([...f.value.messageIds]);
      else if (f.case === "nack") this.nacks.push(f.value);
      else if (f.case === "heartbeat") this.heartbeats++;
    }
    for (const waiter of [...this.waiters]) {
      if (waiter.test()) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  }

  /** @internal */
  async *drain(signal: AbortSignal): AsyncGenerator<ConnectResponse> {
    const onAbort = () => this.push(null);
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      while (true) {
        const item = this.out.shift();
        if (item === undefined) {
          await new Promise<void>((resolve) => {
            this.wake = resolve;
          });
          continue;
        }
        if (item === null) return;
        if (item instanceof Error) throw item;
        yield item;
      }
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  }

  private push(item: ConnectResponse | Error | null): void {
    this.out.push(item);
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}

/** A running fake relay. */
export interface FakeRelay {
  readonly url: string;
  readonly sessions: FakeSession[];
  /** Calls that failed before a session existed, with their codes. */
  readonly rejected: Code[];
  /** When set, every new call fails with this code. */
  rejectWith: Code | undefined;
  /** Resolves with the `n`-th session (1-based) once it exists. */
  session(n: number): Promise<FakeSession>;
  close(): Promise<void>;
}

/** Starts a fake relay. */
export async function startFakeRelay(options: FakeRelayOptions = {}): Promise<FakeRelay> {
  const token = options.token ?? "secret-token";
  const channel = options.channel ?? "test-channel";
  const sessions: FakeSession[] = [];
  const rejected: Code[] = [];
  const sessionWaiters: { n: number; resolve: (s: FakeSession) => void }[] = [];
  const relay: FakeRelay = {
    url: "",
    sessions,
    rejected,
    rejectWith: undefined,
    session(n) {
      const existing = sessions[n - 1];
      if (existing !== undefined) return Promise.resolve(existing);
      return new Promise((resolve) => sessionWaiters.push({ n, resolve }));
    },
    close: async () => {},
  };

  const handler = connectNodeAdapter({
    routes(router) {
      router.service(RelayService, {
        async *connect(requests, context) {
          const authorization = context.requestHeader.get("authorization");
          if (relay.rejectWith !== undefined) {
            rejected.push(relay.rejectWith);
            throw new ConnectError("rejected by test", relay.rejectWith);
          }
          if (authorization !== `Bearer ${token}`) {
            rejected.push(Code.Unauthenticated);
            throw new ConnectError("bad token", Code.Unauthenticated);
          }
          const iterator = requests[Symbol.asyncIterator]();
          const first = await iterator.next();
          if (first.done || first.value.frame.case !== "hello") {
            throw new ConnectError("expected hello", Code.InvalidArgument);
          }
          const hello = first.value.frame.value;
          if (hello.channel !== channel) {
            rejected.push(Code.NotFound);
            throw new ConnectError("unknown channel", Code.NotFound);
          }
          const session = new FakeSession(hello, authorization, `conn-${sessions.length + 1}`);
          sessions.push(session);
          for (const waiter of [...sessionWaiters]) {
            if (waiter.n === sessions.length) {
              sessionWaiters.splice(sessionWaiters.indexOf(waiter), 1);
              waiter.resolve(session);
            }
          }
          yield create(ConnectResponseSchema, {
            frame: {
              case: "welcome",
              value: create(WelcomeSchema, {
                connectionId: session.connectionId,
                channel,
                group: hello.group === "" ? "default" : hello.group,
                maxInFlight: options.maxInFlight || hello.maxInFlight,
                heartbeatInterval: durationFromMs(options.heartbeatIntervalMs ?? 10_000),
                ackTimeout: durationFromMs(30_000),
              }),
            },
          });
          void (async () => {
            try {
              while (true) {
                const next = await iterator.next();
                if (next.done) break;
                session.record(next.value);
              }
            } catch {
              // The client went away; the session ends below.
            }
            session.record("end");
          })();
          yield* session.drain(context.signal);
        },
      });
    },
  });

  const tls = options.tls;
  const server =
    tls === undefined
      ? createServer(handler)
      : createSecureServer(
          {
            key: tls.key,
            cert: tls.cert,
            ...(tls.ca === undefined
              ? {}
              : { ca: tls.ca, requestCert: true, rejectUnauthorized: true }),
          },
          handler,
        );
  const live = new Set<Http2Session>();
  server.on("session", (s) => {
    live.add(s);
    s.once("close", () => live.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  Object.assign(relay, {
    url: `${tls === undefined ? "http" : "https"}://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of live) s.destroy();
        server.close(() => resolve());
      }),
  });
  return relay;
}
