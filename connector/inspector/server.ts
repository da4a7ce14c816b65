/**
 * The inspector's HTTP server: the page at `/` with its assets, the JSON
 * API under `/api/`, and `GET /api/events` (SSE) for live updates. Bound
 * to loopback by default; requests whose Host or Origin is not the
 * inspector's own are refused, so a web page the developer visits cannot
 * read the history or trigger replays (DNS rebinding, CSRF).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { DeliveryQuery, DeliveryStatus, HistoryStore } from "./history-store.js";
import { inspectorAssets } from "./page.js";
import { ReplayError, type Replayer } from "./replay.js";

/** Options of startInspectorServer. */
export interface InspectorServerOptions {
  readonly host: string;
  /** First port tried; when taken, the next ones are tried (10 in all). 0: any free port. */
  readonly port: number;
  readonly store: HistoryStore;
  readonly replayer: Replayer;
  /**
   * Answer only requests addressed to the inspector's own loopback names
   * (against DNS rebinding). Off for a deliberate non-loopback binding,
   * which is reached by names the connector cannot know. @default true
   */
  readonly checkHost?: boolean;
}

/** A running inspector. */
export interface InspectorServer {
  /** `http://host:port`. */
  readonly url: string;
  /** Tells the page's live streams that deliveries changed. */
  notify(changes: readonly { id: string; replay: boolean }[]): void;
  close(): Promise<void>;
}

const statuses = new Set<DeliveryStatus>(["acked", "nacked", "dead_lettered"]);
/** Most ids one bulk replay takes. */
const MAX_BULK = 1000;
/** Largest request body the API reads. */
const MAX_BODY = 1_048_576;

class HttpProblem extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "cache-control": "no-store",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const type = (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new HttpProblem(413, "request body over 1 MiB");
    chunks.push(chunk);
  }
  if (size === 0) return {};
  // JSON only: a cross-site form cannot send it without a CORS preflight we never allow.
  if (type !== "application/json")
    throw new HttpProblem(415, "expected Content-Type: application/json");
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch (error) {
    throw new HttpProblem(400, `malformed JSON: ${(error as Error).message}`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new HttpProblem(400, "expected a JSON object");
  }
  return parsed as Record<string, unknown>;
}

function optionalString(body: Record<string, unknown>, key: string): string | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw new HttpProblem(400, `${key}: expected a string`);
  return value;
}

function queryOf(params: URLSearchParams): DeliveryQuery {
  const status = params.get("status") ?? "";
  if (status !== "" && !statuses.has(status as DeliveryStatus)) {
    throw new HttpProblem(400, "status: expected acked, nacked or dead_lettered");
  }
  const limitText = params.get("limit") ?? "";
  const limit = limitText === "" ? 50 : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
    throw new HttpProblem(400, "limit: expected an integer from 1 to 1000");
  }
  const q = params.get("q") ?? "";
  return {
    limit,
    ...(q === "" ? {} : { q }),
    ...(status === "" ? {} : { status: status as DeliveryStatus }),
  };
}

/** Starts the server; rejects when no port of the range is free. */
export async function startInspectorServer(
  options: InspectorServerOptions,
): Promise<InspectorServer> {
  const { store, replayer } = options;
  const streams = new Set<ServerResponse>();
  let ownHosts = new Set<string>();

  const api = async (req: IncomingMessage, res: ServerResponse, url: URL) => {
    const path = url.pathname;
    const method = req.method ?? "GET";
    if (path === "/api/deliveries" && method === "GET") {
      send(res, 200, { deliveries: store.list(queryOf(url.searchParams)) });
      return;
    }
    const one = /^\/api\/deliveries\/([^/]+)$/.exec(path);
    if (one !== null && method === "GET") {
      const delivery = store.get(decodeURIComponent(one[1]!));
      if (delivery === undefined) throw new HttpProblem(404, "no such delivery in the history");
      send(res, 200, delivery);
      return;
    }
    const replay = /^\/api\/deliveries\/([^/]+)\/replay$/.exec(path);
    if (replay !== null && method === "POST") {
      const body = await readJson(req);
      const result = await replayer.replay(
        decodeURIComponent(replay[1]!),
        optionalString(body, "target_url"),
      );
      send(res, 200, result);
      return;
    }
    if (path === "/api/replay" && method === "POST") {
      const body = await readJson(req);
      const targetUrl = optionalString(body, "target_url");
      let ids: string[];
      if (body["ids"] !== undefined) {
        const given = body["ids"];
        if (!Array.isArray(given) || !given.every((id) => typeof id === "string")) {
          throw new HttpProblem(400, "ids: expected an array of message ids");
        }
        ids = given as string[];
      } else if (
        body["filter"] !== undefined &&
        typeof body["filter"] === "object" &&
        body["filter"] !== null
      ) {
        const filter = body["filter"] as Record<string, unknown>;
        const params = new URLSearchParams();
        for (const key of ["q", "status", "limit"]) {
          if (filter[key] !== undefined) params.set(key, String(filter[key]));
        }
        ids = store.list(queryOf(params)).map((d) => d.message_id);
      } else {
        throw new HttpProblem(400, 'expected {"ids": […]} or {"filter": {"q", "status", "limit"}}');
      }
      if (ids.length > MAX_BULK) throw new HttpProblem(400, `ids: at most ${MAX_BULK} at once`);
      const results = [];
      // One at a time, oldest first, so the target sees them in their original order.
      for (const id of [...ids].reverse()) {
        try {
          results.push(await replayer.replay(id, targetUrl));
        } catch (error) {
          if (!(error instanceof ReplayError)) throw error;
          results.push({ message_id: id, outcome: "failed", status: null, reason: error.message });
        }
      }
      send(res, 200, { replayed: results.length, results });
      return;
    }
    if (path === "/api/events" && method === "GET") {
      res.writeHead(200, {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-store",
        connection: "keep-alive",
      });
      res.write(": inspector events\n\n");
      streams.add(res);
      req.on("close", () => streams.delete(res));
      return;
    }
    throw new HttpProblem(
      one !== null || replay !== null || path === "/api/replay" || path === "/api/deliveries"
        ? 405
        : 404,
      `no route ${method} ${path}`,
    );
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const host = (req.headers.host ?? "").toLowerCase();
    if (options.checkHost !== false && !ownHosts.has(host)) {
      send(res, 421, {
        error: "misdirected",
        message: `the inspector does not answer for host '${host}'`,
      });
      return;
    }
    // Browsers send Origin on cross-site requests and on same-origin POSTs;
    // "null" (sandboxed frames, file:) is foreign too.
    const origin = req.headers.origin;
    const originHost = origin?.replace(/^https?:\/\//, "").toLowerCase();
    if (originHost !== undefined && !ownHosts.has(originHost) && originHost !== host) {
      send(res, 403, { error: "forbidden", message: "cross-origin requests are not allowed" });
      return;
    }
    const url = new URL(req.url ?? "/", "http://inspector");
    try {
      if (url.pathname.startsWith("/api/")) {
        await api(req, res, url);
        return;
      }
      const asset = inspectorAssets[url.pathname];
      if (asset === undefined || (req.method !== "GET" && req.method !== "HEAD")) {
        throw new HttpProblem(404, `no page ${url.pathname}`);
      }
      res.writeHead(200, {
        "content-type": asset.type,
        "cache-control": "no-store",
        "content-security-policy":
          "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'",
        "x-content-type-options": "nosniff",
        "referrer-policy": "no-referrer",
      });
      res.end(req.method === "HEAD" ? undefined : asset.body);
    } catch (error) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (error instanceof HttpProblem)
        send(res, error.status, { error: "bad_request", message: error.message });
      else if (error instanceof ReplayError)
        send(res, error.status, { error: "replay_failed", message: error.message });
      else send(res, 500, { error: "internal", message: (error as Error).message });
    }
  };

  const server = createServer((req, res) => void handle(req, res));
  server.keepAliveTimeout = 5_000;
  const port = await listen(server, options.host, options.port);
  const shownHost = options.host.includes(":") ? `[${options.host}]` : options.host;
  ownHosts = new Set([
    `${shownHost}:${port}`.toLowerCase(),
    `localhost:${port}`,
    `127.0.0.1:${port}`,
    `[::1]:${port}`,
  ]);
  const heartbeat = setInterval(() => {
    for (const stream of streams) stream.write(": heartbeat\n\n");
  }, 15_000);
  heartbeat.unref();
  return {
    url: `http://${shownHost}:${port}`,
    notify(changes) {
      if (streams.size === 0) return;
      for (const change of changes) {
        const frame = `event: delivery\ndata: ${JSON.stringify({ message_id: change.id, replay: change.replay })}\n\n`;
        for (const stream of streams) stream.write(frame);
      }
    },
    async close() {
      clearInterval(heartbeat);
      for (const stream of streams) stream.end();
      streams.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function listen(server: Server, host: string, first: number): Promise<number> {
  const last = first === 0 ? 0 : Math.min(first + 9, 65_535);
  for (let port = first; port <= last; port++) {
    try {
      await new Promise<void>((resolve, reject) => {
        const onError = (error: Error) => {
          server.off("listening", onListening);
          reject(error);
        };
        const onListening = () => {
          server.off("error", onError);
          resolve();
        };
        server.once("error", onError);
        server.once("listening", onListening);
        server.listen(port, host);
      });
      return (server.address() as AddressInfo).port;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EADDRINUSE" || port === last) throw error;
    }
  }
  throw new Error("unreachable");
}
