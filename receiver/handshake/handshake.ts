/**
 * The handshake seam: a provider's endpoint handshake, recognised on the
 * ingest path and answered by the receiver itself, because the local app
 * behind a connector cannot answer in time. A handshake is never stored.
 */
import type { IngestRequest } from "../auth/index.js";
import type { HandshakeProvider } from "../config/index.js";

/**
 * Headers of an echoed token (Slack, Microsoft Graph, Dropbox): plain text
 * that a browser never sniffs as HTML, never cached.
 */
export const ECHO_HEADERS: Readonly<Record<string, string>> = {
  "Content-Type": "text/plain",
  "X-Content-Type-Options": "nosniff",
  "Cache-Control": "no-store",
};

/** The exact answer to a handshake request. */
export interface HandshakeAnswer {
  /** HTTP status. */
  readonly status: number;
  /** Response headers (Content-Type included). */
  readonly headers: Readonly<Record<string, string>>;
  /** Response body, UTF-8. */
  readonly body: string;
}

/** A configured provider handshake of one webhook. */
export interface Handshake {
  /** The provider, for metrics and logs. */
  readonly provider: HandshakeProvider;
  /** true when the provider sends its handshake as a GET (Dropbox, X/Twitter CRC). */
  readonly usesGet: boolean;
  /** What a GET must carry to be this handshake, for the error answering one that does not. */
  readonly expected: string;
  /**
   * The answer when `request` is the provider's handshake and passes the
   * provider's own verification (Slack's and Zoom's signatures); undefined
   * for anything else, which is then handled as a normal webhook. Never throws.
   */
  answer(request: IngestRequest): HandshakeAnswer | undefined;
}
