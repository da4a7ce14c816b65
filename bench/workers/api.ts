/**
 * The calls each worker process answers over its IPC channel. Parent and
 * worker share these types; every argument and result is plain JSON.
 */
import type { LatencySummary } from "../lib/stats.js";

/** HMAC signing of generated webhooks (hex SHA-256 over the raw body). */
export interface SigningOptions {
  readonly secret: string;
  readonly header: string;
}

/** One load run of the load generator. */
export interface LoadPlan {
  /** Full URL requests are POSTed to. */
  readonly url: string;
  /**
   * `saturate`: keep `inFlight` requests outstanding for `durationMs`;
   * `rate`: start `rate` requests per second for `durationMs` (offered load);
   * `count`: send exactly `total` requests with `inFlight` outstanding.
   */
  readonly mode: "saturate" | "rate" | "count";
  /** Requests outstanding at once (saturate/count) or the cap on them (rate). */
  readonly inFlight: number;
  /** Length of a saturate/rate run. */
  readonly durationMs?: number;
  /** Requests per second of a rate run. */
  readonly rate?: number;
  /** Requests of a count run. */
  readonly total?: number;
  /** Sign each body with this secret into this header. */
  readonly signing?: SigningOptions;
  /** Size of each JSON body in bytes. @default 1024 */
  readonly bodyBytes?: number;
}

/** What a load run did. */
export interface LoadResult {
  /** Requests started. */
  readonly sent: number;
  /** Requests answered 2xx. */
  readonly ok: number;
  /** Requests answered otherwise or failed on the network. */
  readonly failed: number;
  /** Answers by status code (`"error"` for network failures). */
  readonly statuses: Readonly<Record<string, number>>;
  /** Rate-mode requests not started on time because `inFlight` were outstanding. */
  readonly late: number;
  /** Wall time from the first request to the last answer. */
  readonly elapsedMs: number;
  /** 2xx answers per second over `elapsedMs`. */
  readonly okPerSecond: number;
  /** Latency of 2xx answers; in rate mode measured from the scheduled start. */
  readonly latency: LatencySummary;
  /** First few network error messages. */
  readonly errors: readonly string[];
}

/** Progress of a run started with `start`. */
export interface LoadProgress {
  readonly sent: number;
  readonly ok: number;
  readonly failed: number;
  readonly running: boolean;
}

/** Calls of the load generator. */
export interface LoadgenApi {
  /** Runs a plan to the end. */
  run(plan: LoadPlan): LoadResult;
  /** Starts a plan in the background. */
  start(plan: LoadPlan): null;
  /** Counters of the background run. */
  progress(arg: null): LoadProgress;
  /** Waits for the background run and returns its result. */
  finish(arg: null): LoadResult;
}

/** Counters of the target. */
export interface TargetStats {
  /** Requests received since the last reset (duplicates included). */
  readonly received: number;
  /** Distinct message ids received since the last reset. */
  readonly unique: number;
  /** Epoch ms of the first and last request since the last reset (0 when none). */
  readonly firstAt: number;
  readonly lastAt: number;
}

/** Calls of the local target. */
export interface TargetApi {
  /** Counters. */
  stats(arg: null): TargetStats;
  /** Zeroes the counters and the e2e latency samples. */
  reset(arg: null): null;
  /** End-to-end latency (body `sent_at` → arrival) of requests since the last reset. */
  latency(arg: null): LatencySummary;
  /** Resolves once `count` distinct ids arrived, or at the timeout. */
  waitForUnique(arg: { count: number; timeoutMs: number }): TargetStats & { reached: boolean };
}

/** Streaming protocols the idle-connection worker can open. */
export type IdleProtocol = "grpc" | "connect" | "websocket" | "sse" | "long_poll";

/** A request to open idle connector streams. */
export interface IdlePlan {
  /** Receiver base URL. */
  readonly url: string;
  readonly channel: string;
  readonly token: string;
  readonly protocol: IdleProtocol;
  /** Streams to open. */
  readonly count: number;
  /** HTTP/2 sessions the gRPC/Connect streams are spread over. @default max(8, count / 50) */
  readonly sessions?: number;
  /** `timeout` of each long-poll, in seconds. @default 55 */
  readonly pollTimeoutSeconds?: number;
}

/** Outcome of opening idle streams. */
export interface IdleResult {
  /** Streams whose first server frame (welcome/connected) arrived or that are parked in a poll. */
  readonly opened: number;
  readonly failed: number;
  /** First failure, for the skip note. */
  readonly firstError?: string;
  readonly elapsedMs: number;
}

/** Calls of the idle-connection worker. */
export interface IdleClientsApi {
  /** Opens the streams and keeps them open (answering heartbeats). */
  open(plan: IdlePlan): IdleResult;
  /**
   * Waits up to `timeoutMs` until every open stream heard from the
   * receiver (a heartbeat, or a long-poll that came back) after the call.
   */
  alive(timeoutMs: number): { alive: number; of: number };
  /** Closes every stream. */
  close(arg: null): null;
}

/** The message a worker sends once it is listening / ready. */
export interface ReadyMessage {
  readonly type: "ready";
  /** Base URL, for workers that listen. */
  readonly url?: string;
}

/** What an ingest anchor stored since it started. */
export interface AnchorStats {
  /** Webhooks stored and answered 200. */
  readonly stored: number;
  /** Durable writes (SQLite commits, JetStream publish batches) they took. */
  readonly writes: number;
  /** Bytes stored per webhook (envelope and body), averaged. */
  readonly recordBytes: number;
  /** Webhooks answered 503 because the write failed. */
  readonly failed: number;
}

/** Calls of an ingest anchor (bench/workers/*-anchor.ts). */
export interface AnchorApi {
  /** Counters since start. */
  stats(arg: null): AnchorStats;
}

/** Options every ingest anchor gets as its first argument. */
export interface AnchorOptions {
  /** The HMAC every request must carry. */
  readonly signing: SigningOptions;
}
