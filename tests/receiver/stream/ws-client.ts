/**
 * A WebSocket client for tests that speaks only the documented JSON
 * frames, written from the frame list in docs/protocol.md with `ws`
 * directly (no connector code): it collects every frame and lets a test
 * await the next one of a type.
 */
import WebSocket from "ws";

/** A JSON frame from the server. */
export type JsonFrame = Record<string, unknown> & { type: string };

/** A connected test client. */
export interface JsonWsClient {
  readonly ws: WebSocket;
  readonly frames: JsonFrame[];
  /** Resolves with the next frame of `type` not yet taken. */
  next(type: string, timeoutMs?: number): Promise<JsonFrame>;
  /** Sends a value as a JSON text frame (or a raw string as is). */
  send(value: unknown): void;
  /** Resolves with the close code and reason. */
  readonly closed: Promise<{ code: number; reason: string }>;
}

/** Opens `url` with the given headers; resolves once open. */
export async function openJsonWs(
  url: string,
  headers: Record<string, string>,
  options: { autoPong?: boolean } = {},
): Promise<JsonWsClient> {
  const ws = new WebSocket(url, { headers, autoPong: options.autoPong ?? true });
  const frames: JsonFrame[] = [];
  const taken = new Set<JsonFrame>();
  const listeners = new Set<() => void>();
  ws.on("message", (data) => {
    frames.push(JSON.parse(String(data)) as JsonFrame);
    for (const l of [...listeners]) l();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.on("close", (code, reason) => {
      resolve({ code, reason: reason.toString() });
      for (const l of [...listeners]) l();
    });
  });
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
    ws.once("unexpected-response", (_req, res) =>
      reject(new Error(`unexpected response ${res.statusCode}`)),
    );
  });
  return {
    ws,
    frames,
    closed,
    send(value) {
      ws.send(typeof value === "string" ? value : JSON.stringify(value));
    },
    next(type, timeoutMs = 5_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const frame = frames.find((f) => f.type === type && !taken.has(f));
          if (frame !== undefined) {
            taken.add(frame);
            done();
            resolve(frame);
          } else if (ws.readyState === WebSocket.CLOSED) {
            done();
            reject(new Error(`closed before a '${type}' frame`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`no '${type}' frame within ${timeoutMs} ms`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      });
    },
  };
}
