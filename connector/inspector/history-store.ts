/**
 * The inspector's history: every delivery the connector made (the full
 * original request and every request to the target, with what the target
 * answered) in a local SQLite file that survives restarts. Writes are
 * queued and committed together every 100 ms, off the delivery path; the
 * oldest deliveries go when the history exceeds its count or byte bound.
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import type { AttemptRecord } from "../delivery/index.js";

/** How a delivery ended, as the buffer was told. */
export type DeliveryStatus = "acked" | "nacked" | "dead_lettered";

/** The original request of a delivery. */
export interface RecordedRequest {
  readonly messageId: string;
  readonly webhookId: string;
  readonly channel: string;
  /** When the receiver accepted it, in ms since the epoch. */
  readonly receivedAt: number;
  readonly deliveryAttempt: number;
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly headers: readonly (readonly [string, string])[];
  readonly body: Uint8Array;
  readonly contentType: string;
  readonly sourceIp: string;
  readonly traceparent: string;
}

/** A settled delivery to record. */
export interface RecordedDelivery {
  readonly request: RecordedRequest;
  readonly outcome: DeliveryStatus;
  /** The status of the target's last answer (HTTP mode). */
  readonly status?: number | undefined;
  /** Why it was nacked. */
  readonly reason?: string | undefined;
  readonly durationMs: number;
  readonly attempts: readonly AttemptRecord[];
  /** When it settled, in ms since the epoch. */
  readonly settledAt: number;
}

/** One row of the list. */
export interface DeliverySummary {
  readonly message_id: string;
  readonly webhook_id: string;
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly received_at: string;
  readonly updated_at: string;
  readonly delivery_attempt: number;
  readonly outcome: DeliveryStatus;
  readonly status: number | null;
  readonly reason: string | null;
  readonly duration_ms: number;
  readonly attempts: number;
  readonly bytes: number;
}

/** A body in the JSON API: base64 always, text when it is UTF-8. */
export interface BodyJson {
  readonly body_base64: string;
  readonly body_text: string | null;
}

/** One request to the target, in the JSON API. */
export interface AttemptJson extends BodyJson {
  readonly id: number;
  readonly started_at: string;
  readonly url: string;
  readonly method: string;
  readonly local_retry: number;
  readonly delivery_attempt: number;
  /** True for a request made by a replay from the inspector. */
  readonly replay: boolean;
  readonly status: number | null;
  readonly headers: [string, string][];
  readonly duration_ms: number;
  readonly error: string | null;
}

/** One delivery in full, in the JSON API. */
export interface DeliveryDetailJson extends DeliverySummary, BodyJson {
  readonly channel: string;
  readonly headers: [string, string][];
  readonly content_type: string;
  readonly source_ip: string;
  readonly traceparent: string;
  readonly attempt_list: AttemptJson[];
}

/** Filters of the list. */
export interface DeliveryQuery {
  /** Most rows. @default 50 */
  readonly limit?: number;
  /** Substring of the path, query, headers or body. */
  readonly q?: string;
  readonly status?: DeliveryStatus;
}

/** Options of openHistoryStore. */
export interface HistoryStoreOptions {
  /** The SQLite file; its folder is created. */
  readonly path: string;
  /** Most deliveries kept. @default 5000 */
  readonly maxDeliveries?: number;
  /** Most bytes kept (request and response bodies and headers). @default 104857600 (100 MiB) */
  readonly maxBytes?: number;
  /** Called after each commit with the ids written. */
  readonly onCommit?: (changes: readonly { id: string; replay: boolean }[]) => void;
}

/** The history. */
export interface HistoryStore {
  /** Queues a settled delivery (committed within 100 ms). */
  record(delivery: RecordedDelivery): void;
  /** Queues requests a replay made. */
  recordReplay(messageId: string, attempts: readonly AttemptRecord[]): void;
  /** Newest first. */
  list(query: DeliveryQuery): DeliverySummary[];
  /** One delivery with its attempts, or undefined. */
  get(messageId: string): DeliveryDetailJson | undefined;
  /** The original request of a delivery, to replay it. */
  request(messageId: string): RecordedRequest | undefined;
  /** Commits what is queued now. */
  flush(): void;
  /** Commits and closes the file. */
  close(): void;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS deliveries (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  message_id TEXT NOT NULL UNIQUE,
  webhook_id TEXT NOT NULL,
  channel TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  delivery_attempt INTEGER NOT NULL,
  method TEXT NOT NULL,
  path TEXT NOT NULL,
  query TEXT NOT NULL,
  headers TEXT NOT NULL,
  body BLOB NOT NULL,
  content_type TEXT NOT NULL,
  source_ip TEXT NOT NULL,
  traceparent TEXT NOT NULL,
  outcome TEXT NOT NULL,
  status INTEGER,
  reason TEXT,
  duration_ms INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  bytes INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS deliveries_by_update ON deliveries (updated_at, seq);
CREATE TABLE IF NOT EXISTS attempts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  message_id TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  url TEXT NOT NULL,
  method TEXT NOT NULL,
  local_retry INTEGER NOT NULL,
  delivery_attempt INTEGER NOT NULL,
  replay INTEGER NOT NULL,
  status INTEGER,
  headers TEXT NOT NULL,
  body BLOB NOT NULL,
  duration_ms INTEGER NOT NULL,
  error TEXT
);
CREATE INDEX IF NOT EXISTS attempts_by_message ON attempts (message_id, id);
`;

type Op =
  | { readonly kind: "delivery"; readonly delivery: RecordedDelivery }
  | {
      readonly kind: "replay";
      readonly messageId: string;
      readonly attempts: readonly AttemptRecord[];
    };

interface DeliveryRow {
  message_id: string;
  webhook_id: string;
  channel: string;
  received_at: number;
  delivery_attempt: number;
  method: string;
  path: string;
  query: string;
  headers: string;
  body: Buffer;
  content_type: string;
  source_ip: string;
  traceparent: string;
  outcome: DeliveryStatus;
  status: number | null;
  reason: string | null;
  duration_ms: number;
  updated_at: number;
  bytes: number;
  attempts: number;
}

interface AttemptRow {
  id: number;
  started_at: number;
  url: string;
  method: string;
  local_retry: number;
  delivery_attempt: number;
  replay: number;
  status: number | null;
  headers: string;
  body: Buffer;
  duration_ms: number;
  error: string | null;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Base64 and, when the bytes are UTF-8, the text. */
export function bodyJson(bytes: Uint8Array): BodyJson {
  let text: string | null;
  try {
    text = utf8.decode(bytes);
  } catch {
    text = null;
  }
  return { body_base64: Buffer.from(bytes).toString("base64"), body_text: text };
}

function headersSize(headers: readonly (readonly [string, string])[]): number {
  let size = 0;
  for (const [name, value] of headers) size += name.length + value.length + 4;
  return size;
}

function attemptBytes(attempt: AttemptRecord): number {
  return (attempt.body?.length ?? 0) + headersSize(attempt.headers ?? []) + attempt.url.length;
}

/** Opens (creating when needed) the history at `options.path`. */
export function openHistoryStore(options: HistoryStoreOptions): HistoryStore {
  mkdirSync(dirname(options.path), { recursive: true });
  const db = new Database(options.path);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.pragma("busy_timeout = 5000");
  db.exec(SCHEMA);
  const maxDeliveries = options.maxDeliveries ?? 5000;
  const maxBytes = options.maxBytes ?? 104_857_600;

  const upsert = db.prepare(`
    INSERT INTO deliveries (message_id, webhook_id, channel, received_at, delivery_attempt, method,
      path, query, headers, body, content_type, source_ip, traceparent, outcome, status, reason,
      duration_ms, updated_at, bytes)
    VALUES (@message_id, @webhook_id, @channel, @received_at, @delivery_attempt, @method, @path,
      @query, @headers, @body, @content_type, @source_ip, @traceparent, @outcome, @status, @reason,
      @duration_ms, @updated_at, @bytes)
    ON CONFLICT (message_id) DO UPDATE SET delivery_attempt = excluded.delivery_attempt,
      outcome = excluded.outcome, status = excluded.status, reason = excluded.reason,
      duration_ms = excluded.duration_ms, updated_at = excluded.updated_at,
      bytes = deliveries.bytes + excluded.bytes - length(excluded.body) - length(excluded.headers)`);
  const addBytes = db.prepare("UPDATE deliveries SET bytes = bytes + ? WHERE message_id = ?");
  const insertAttempt = db.prepare(`
    INSERT INTO attempts (message_id, started_at, url, method, local_retry, delivery_attempt, replay,
      status, headers, body, duration_ms, error)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const totals = db.prepare(
    "SELECT COUNT(*) AS count, COALESCE(SUM(bytes), 0) AS bytes FROM deliveries",
  );
  const oldest = db.prepare(
    "SELECT message_id, bytes FROM deliveries ORDER BY updated_at, seq LIMIT ?",
  );
  const deleteDelivery = db.prepare("DELETE FROM deliveries WHERE message_id = ?");
  const deleteAttempts = db.prepare("DELETE FROM attempts WHERE message_id = ?");
  const attemptsOf = db.prepare("SELECT * FROM attempts WHERE message_id = ? ORDER BY id");
  const deliveryOf =
    db.prepare(`SELECT d.*, (SELECT COUNT(*) FROM attempts a WHERE a.message_id = d.message_id) AS attempts
    FROM deliveries d WHERE message_id = ?`);

  const writeAttempt = (
    messageId: string,
    deliveryAttempt: number,
    replay: boolean,
    a: AttemptRecord,
  ) =>
    insertAttempt.run(
      messageId,
      a.startedAt,
      a.url,
      a.method,
      a.localRetry,
      deliveryAttempt,
      replay ? 1 : 0,
      a.status ?? null,
      JSON.stringify(a.headers ?? []),
      a.body ?? Buffer.alloc(0),
      a.durationMs,
      a.error ?? null,
    );

  const prune = () => {
    const { count, bytes } = totals.get() as { count: number; bytes: number };
    if (count <= maxDeliveries && bytes <= maxBytes) return;
    let overCount = count - maxDeliveries;
    let overBytes = bytes - maxBytes;
    // Keep the newest delivery even when it alone is over the byte bound.
    const candidates = oldest.all(Math.max(0, count - 1)) as {
      message_id: string;
      bytes: number;
    }[];
    for (const row of candidates) {
      if (overCount <= 0 && overBytes <= 0) break;
      deleteDelivery.run(row.message_id);
      deleteAttempts.run(row.message_id);
      overCount -= 1;
      overBytes -= row.bytes;
    }
  };

  let queue: Op[] = [];
  let timer: NodeJS.Timeout | undefined;
  const commit = db.transaction((ops: Op[]) => {
    for (const op of ops) {
      if (op.kind === "delivery") {
        const { request, attempts } = op.delivery;
        const headers = JSON.stringify(request.headers);
        let bytes = request.body.length + headers.length;
        for (const attempt of attempts) bytes += attemptBytes(attempt);
        upsert.run({
          message_id: request.messageId,
          webhook_id: request.webhookId,
          channel: request.channel,
          received_at: request.receivedAt,
          delivery_attempt: request.deliveryAttempt,
          method: request.method,
          path: request.path,
          query: request.query,
          headers,
          body: Buffer.from(request.body.buffer, request.body.byteOffset, request.body.byteLength),
          content_type: request.contentType,
          source_ip: request.sourceIp,
          traceparent: request.traceparent,
          outcome: op.delivery.outcome,
          status: op.delivery.status ?? null,
          reason: op.delivery.reason ?? null,
          duration_ms: op.delivery.durationMs,
          updated_at: op.delivery.settledAt,
          bytes,
        });
        for (const attempt of attempts) {
          writeAttempt(request.messageId, request.deliveryAttempt, false, attempt);
        }
      } else {
        const row = deliveryOf.get(op.messageId) as DeliveryRow | undefined;
        if (row === undefined) continue;
        let bytes = 0;
        for (const attempt of op.attempts) {
          writeAttempt(op.messageId, row.delivery_attempt, true, attempt);
          bytes += attemptBytes(attempt);
        }
        addBytes.run(bytes, op.messageId);
      }
    }
    prune();
  });

  const flush = () => {
    if (timer !== undefined) {
      clearTimeout(timer);
      timer = undefined;
    }
    if (queue.length === 0) return;
    const ops = queue;
    queue = [];
    commit(ops);
    options.onCommit?.(
      ops.map((op) =>
        op.kind === "delivery"
          ? { id: op.delivery.request.messageId, replay: false }
          : { id: op.messageId, replay: true },
      ),
    );
  };
  const enqueue = (op: Op) => {
    queue.push(op);
    if (timer === undefined) {
      timer = setTimeout(flush, 100);
      timer.unref();
    }
  };

  const summary = (row: DeliveryRow): DeliverySummary => ({
    message_id: row.message_id,
    webhook_id: row.webhook_id,
    method: row.method,
    path: row.path,
    query: row.query,
    received_at: new Date(row.received_at).toISOString(),
    updated_at: new Date(row.updated_at).toISOString(),
    delivery_attempt: row.delivery_attempt,
    outcome: row.outcome,
    status: row.status,
    reason: row.reason,
    duration_ms: row.duration_ms,
    attempts: row.attempts,
    bytes: row.bytes,
  });

  return {
    record(delivery) {
      enqueue({ kind: "delivery", delivery });
    },
    recordReplay(messageId, attempts) {
      enqueue({ kind: "replay", messageId, attempts });
    },
    list(query) {
      flush();
      const where: string[] = [];
      const params: unknown[] = [];
      if (query.status !== undefined) {
        where.push("d.outcome = ?");
        params.push(query.status);
      }
      if (query.q !== undefined && query.q !== "") {
        const like = `%${query.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
        where.push(
          "(d.path LIKE ? ESCAPE '\\' OR d.query LIKE ? ESCAPE '\\' OR d.headers LIKE ? ESCAPE '\\' OR CAST(d.body AS TEXT) LIKE ? ESCAPE '\\' OR d.message_id = ?)",
        );
        params.push(like, like, like, like, query.q);
      }
      const limit = Math.min(Math.max(1, Math.trunc(query.limit ?? 50)), 1000);
      const sql = `SELECT d.message_id, d.webhook_id, d.method, d.path, d.query, d.received_at, d.updated_at,
          d.delivery_attempt, d.outcome, d.status, d.reason, d.duration_ms, d.bytes,
          (SELECT COUNT(*) FROM attempts a WHERE a.message_id = d.message_id) AS attempts
        FROM deliveries d ${where.length === 0 ? "" : `WHERE ${where.join(" AND ")}`}
        ORDER BY d.updated_at DESC, d.seq DESC LIMIT ?`;
      return (db.prepare(sql).all(...params, limit) as DeliveryRow[]).map(summary);
    },
    get(messageId) {
      flush();
      const row = deliveryOf.get(messageId) as DeliveryRow | undefined;
      if (row === undefined) return undefined;
      const attempts = attemptsOf.all(messageId) as AttemptRow[];
      return {
        ...summary(row),
        channel: row.channel,
        headers: JSON.parse(row.headers) as [string, string][],
        content_type: row.content_type,
        source_ip: row.source_ip,
        traceparent: row.traceparent,
        ...bodyJson(row.body),
        attempt_list: attempts.map((a) => ({
          id: a.id,
          started_at: new Date(a.started_at).toISOString(),
          url: a.url,
          method: a.method,
          local_retry: a.local_retry,
          delivery_attempt: a.delivery_attempt,
          replay: a.replay === 1,
          status: a.status,
          headers: JSON.parse(a.headers) as [string, string][],
          duration_ms: a.duration_ms,
          error: a.error,
          ...bodyJson(a.body),
        })),
      };
    },
    request(messageId) {
      flush();
      const row = deliveryOf.get(messageId) as DeliveryRow | undefined;
      if (row === undefined) return undefined;
      return {
        messageId: row.message_id,
        webhookId: row.webhook_id,
        channel: row.channel,
        receivedAt: row.received_at,
        deliveryAttempt: row.delivery_attempt,
        method: row.method,
        path: row.path,
        query: row.query,
        headers: JSON.parse(row.headers) as [string, string][],
        body: row.body,
        contentType: row.content_type,
        sourceIp: row.source_ip,
        traceparent: row.traceparent,
      };
    },
    flush,
    close() {
      flush();
      db.close();
    },
  };
}
