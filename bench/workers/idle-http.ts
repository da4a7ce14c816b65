/**
 * Idle WebSocket, SSE and long-poll connectors, one TCP connection each
 * (that is how those transports run in the field): a WebSocket or SSE
 * stream counts as open once its `connected` frame arrived; a long-poll
 * once its poll is parked at the receiver, and it polls again when the
 * poll times out, like a connector waiting for webhooks. Heartbeats (and
 * polls that came back) are recorded for the liveness check.
 */
import http from "node:http";
import { WebSocket } from "ws";
import type { IdlePlan } from "./api.js";
import type { Liveness } from "./liveness.js";

/** A poll that has not failed this long after it was sent counts as parked. */
const POLL_PARKED_MS = 1_000;

function streamUrl(plan: IdlePlan, suffix: string): URL {
  return new URL(`/connect/stream/${encodeURIComponent(plan.channel)}${suffix}`, plan.url);
}

type Open = (
  plan: IdlePlan,
  signal: AbortSignal,
  index: number,
  liveness: Liveness,
) => Promise<string | undefined>;

const openWebSocket: Open = (plan, signal, index, liveness) => {
  return new Promise((resolve) => {
    const url = streamUrl(plan, "");
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(url, { headers: { authorization: `Bearer ${plan.token}` } });
    signal.addEventListener("abort", () => ws.terminate(), { once: true });
    ws.on("message", (data) => {
      const frame = JSON.parse(String(data)) as { type?: string };
      if (frame.type === "connected") resolve(undefined);
      else if (frame.type === "heartbeat") {
        liveness.beat(index);
        ws.send('{"type":"heartbeat"}');
      }
    });
    ws.on("unexpected-response", (_req, res) => resolve(`HTTP ${res.statusCode}`));
    ws.on("error", (error) => resolve(error.message));
    ws.on("close", () => resolve("closed before connected"));
  });
};

const openSse: Open = (plan, signal, index, liveness) => {
  return new Promise((resolve) => {
    const req = http.get(streamUrl(plan, "/sse"), {
      agent: false,
      headers: { authorization: `Bearer ${plan.token}`, accept: "text/event-stream" },
      signal,
    });
    req.on("response", (res) => {
      if (res.statusCode !== 200) resolve(`HTTP ${res.statusCode}`);
      let seen = "";
      res.on("data", (chunk: Buffer) => {
        const text = chunk.toString("utf8");
        if (seen.length < 4096) seen += text;
        if (seen.includes("event: connected")) resolve(undefined);
        if (text.includes("event: heartbeat")) liveness.beat(index);
      });
      res.on("error", () => undefined);
    });
    req.on("error", (error) => resolve(error.message));
  });
};

const openPoll: Open = (plan, signal, index, liveness) => {
  return new Promise((resolve) => {
    let connectionId = "";
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    signal.addEventListener("abort", () => agent.destroy(), { once: true });
    const poll = () => {
      if (signal.aborted) return;
      const url = streamUrl(plan, "/poll");
      url.search = `timeout=${plan.pollTimeoutSeconds ?? 55}&max_messages=1`;
      const headers: Record<string, string> = { authorization: `Bearer ${plan.token}` };
      if (connectionId !== "") headers["x-connection-id"] = connectionId;
      const req = http.get(url, { agent, headers, signal });
      const parked = setTimeout(() => resolve(undefined), POLL_PARKED_MS);
      req.on("response", (res) => {
        res.resume();
        const id = res.headers["x-connection-id"];
        if (typeof id === "string") connectionId = id;
        if (res.statusCode === 200 || res.statusCode === 204) {
          res.on("end", () => {
            liveness.beat(index);
            poll();
          });
        } else {
          clearTimeout(parked);
          resolve(`HTTP ${res.statusCode}`);
        }
      });
      req.on("error", (error) => {
        clearTimeout(parked);
        resolve(error.message);
      });
    };
    poll();
  });
};

/** Opens `plan.count` idle WebSocket / SSE / long-poll connectors. */
export async function openIdleHttpStreams(
  plan: IdlePlan,
  signal: AbortSignal,
  liveness: Liveness,
): Promise<{ opened: number[]; errors: string[] }> {
  const open =
    plan.protocol === "websocket" ? openWebSocket : plan.protocol === "sse" ? openSse : openPoll;
  const errors: string[] = [];
  const opened: number[] = [];
  // Open in batches so the receiver's accept queue is not the thing measured.
  const batch = 250;
  for (let start = 0; start < plan.count; start += batch) {
    const size = Math.min(batch, plan.count - start);
    const results = await Promise.all(
      Array.from({ length: size }, (_, offset) => open(plan, signal, start + offset, liveness)),
    );
    results.forEach((error, offset) => {
      if (error === undefined) opened.push(start + offset);
      else errors.push(error);
    });
  }
  return { opened, errors };
}
