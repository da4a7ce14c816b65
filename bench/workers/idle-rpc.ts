/**
 * Idle gRPC / Connect connectors: bidi `RelayService.Connect` calls spread
 * over a few HTTP/2 sessions, each sending Hello and then only answering
 * the server's heartbeats — what a connector does when no webhook arrives.
 */
import { create } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import {
  createConnectTransport,
  createGrpcTransport,
  Http2SessionManager,
} from "@connectrpc/connect-node";
import {
  type ConnectRequest,
  ConnectRequestSchema,
  HeartbeatSchema,
  HelloSchema,
  RelayService,
} from "../../gen/webhookconnect/v1/relay_pb.js";
import type { IdlePlan } from "./api.js";
import type { Liveness } from "./liveness.js";

/** Frames an idle stream sends after Hello, ended by the signal. */
async function* clientFrames(
  plan: IdlePlan,
  index: number,
  outbox: ConnectRequest[],
  wake: { notify?: () => void },
  signal: AbortSignal,
): AsyncGenerator<ConnectRequest> {
  yield create(ConnectRequestSchema, {
    frame: {
      case: "hello",
      value: create(HelloSchema, {
        channel: plan.channel,
        connectorId: `bench-idle-${index}`,
        maxInFlight: 1,
        clientVersion: "bench",
      }),
    },
  });
  while (!signal.aborted) {
    const next = outbox.shift();
    if (next !== undefined) {
      yield next;
      continue;
    }
    await new Promise<void>((resolve) => {
      wake.notify = resolve;
      signal.addEventListener("abort", () => resolve(), { once: true });
    });
  }
}

/**
 * Opens `plan.count` idle streams. Each resolves its slot once Welcome
 * arrived; the returned promise settles when every stream is open or failed.
 */
export async function openIdleRpcStreams(
  plan: IdlePlan,
  signal: AbortSignal,
  liveness: Liveness,
): Promise<{ opened: number[]; errors: string[] }> {
  const baseUrl = plan.url;
  // The receiver allows 100 concurrent streams per HTTP/2 session (more wait
  // on the client for a free slot): at most 50 per session, at least 8 sessions.
  const sessionCount = Math.max(1, plan.sessions ?? Math.max(8, Math.ceil(plan.count / 50)));
  const clients = Array.from({ length: sessionCount }, () => {
    const sessionManager = new Http2SessionManager(baseUrl);
    signal.addEventListener("abort", () => sessionManager.abort(), { once: true });
    const transport =
      plan.protocol === "grpc"
        ? createGrpcTransport({ baseUrl, sessionManager })
        : createConnectTransport({ baseUrl, httpVersion: "2", sessionManager });
    return createClient(RelayService, transport);
  });
  const errors: string[] = [];
  const opened: number[] = [];
  const openOne = (index: number) =>
    new Promise<void>((resolve) => {
      const outbox: ConnectRequest[] = [];
      const wake: { notify?: () => void } = {};
      const client = clients[index % clients.length]!;
      const responses = client.connect(clientFrames(plan, index, outbox, wake, signal), {
        headers: { authorization: `Bearer ${plan.token}` },
        signal,
      });
      void (async () => {
        try {
          for await (const response of responses) {
            if (response.frame.case === "welcome") {
              opened.push(index);
              resolve();
            } else if (response.frame.case === "heartbeat") {
              liveness.beat(index);
              outbox.push(
                create(ConnectRequestSchema, {
                  frame: { case: "heartbeat", value: create(HeartbeatSchema, {}) },
                }),
              );
              wake.notify?.();
            }
          }
        } catch (error) {
          if (!signal.aborted) errors.push((error as Error).message);
        }
        resolve();
      })();
    });
  await Promise.all(Array.from({ length: plan.count }, (_, index) => openOne(index)));
  return { opened, errors };
}
