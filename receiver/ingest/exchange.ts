/** One request to the ingest endpoint, as every step of the handler sees it. */
import type { AnyRequest, AnyResponse } from "../server/index.js";

/**
 * Request-scoped state of one ingest request: created once when the
 * request arrives and passed to each step, so the steps share one object
 * rather than a growing list of parameters.
 */
export interface IngestExchange {
  /** The request (either HTTP version). */
  readonly req: AnyRequest;
  /** Its response. */
  readonly res: AnyResponse;
  /** Webhook id from the path, as sent (it may be invalid). */
  readonly webhookId: string;
  /** Request id: a plain incoming `X-Request-Id`, else a new one; echoed in the response. */
  readonly requestId: string;
  /** `performance.now()` when the request arrived, for the events' durations. */
  readonly startedAt: number;
  /** Wall-clock time the request arrived (ms since epoch), the message's `received_at`. */
  readonly receivedAt: number;
  /**
   * The channel, once the webhook is known to be relayed: set by the step
   * that finds it, so a later rejection can name it.
   */
  channel: string | undefined;
}
