/**
 * The sender-authentication seam. Each auth block of a webhook config
 * (`hmac`, `jwt`, `basic_auth`, …) becomes one Verifier; all of a webhook's
 * verifiers must pass before anything is stored (SPEC §3.3).
 */

/** What a verifier may inspect of an ingest request. Nothing here is altered. */
export interface IngestRequest {
  /** HTTP method, upper case. */
  readonly method: string;
  /** Path without the query string, e.g. `/webhook/stripe`. */
  readonly path: string;
  /** Raw query string without `?` (may be empty). */
  readonly query: string;
  /** Headers with lower-cased names (Node's parsed form; repeated values joined). */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** Headers exactly as received: name, value, name, value, … */
  readonly rawHeaders: readonly string[];
  /** The raw body bytes. */
  readonly body: Buffer;
  /** Address of the TCP peer. */
  readonly remoteAddress: string;
  /** Scheme and host the request was addressed to, e.g. `https://relay.example.com`. */
  readonly origin: string;
  /** Request receive time (ms since epoch). */
  readonly receivedAt: number;
}

/** Result of a verification. */
export type VerifyResult =
  | { readonly ok: true; readonly sourceIp?: string }
  | {
      readonly ok: false;
      /** Detail for the log only; the wire gets a generic 401. Never contains secrets. */
      readonly reason: string;
      /** Status to answer with (401 unless the method needs another, e.g. 429). @default 401 */
      readonly status?: number;
      /** Extra response headers, e.g. a `WWW-Authenticate` challenge. */
      readonly headers?: Readonly<Record<string, string>>;
      /**
       * Text safe to show the sender (e.g. the JSON path a schema check
       * failed at); absent means the wire gets the generic message.
       */
      readonly message?: string;
      /**
       * The answer is a challenge to a request that carried no credentials
       * of this method yet (a Digest `WWW-Authenticate` round), not a
       * refused guess: not counted by the failed-authentication throttle.
       */
      readonly challenge?: true;
    };

/** One configured authentication or validation check. */
export interface Verifier {
  /** Config block name, e.g. `hmac`, `jwt`, `ip_whitelist`. */
  readonly method: string;
  /**
   * true for checks that only run after every authentication check passed
   * (`rate_limit`, `json_schema`), so unauthenticated floods cannot drain a
   * real sender's budget.
   */
  readonly afterAuth: boolean;
  /** Checks one request. Must not throw for bad input; returns ok:false instead. */
  verify(request: IngestRequest): Promise<VerifyResult> | VerifyResult;
  /** Releases timers or connections. */
  close?(): Promise<void>;
}

/** Options shared by every verifier factory. */
export interface VerifierFactoryOptions {
  /** Where config errors point to, e.g. `webhooks.json: stripe_relay`. */
  readonly configPath: string;
  /** Redis URL for state shared between receiver replicas (rate limits, nonces), if any. */
  readonly redisUrl?: string;
  /** Clock in ms since epoch, replaceable in tests. @default Date.now */
  readonly now?: () => number;
}

/**
 * Builds the verifiers of one webhook entry (every auth/validation block it
 * has, in evaluation order). Throws a config error naming the file and key
 * for an invalid block. Exported as `createVerifiers` from receiver/auth/index.ts.
 */
export type CreateVerifiers = (
  webhookId: string,
  entry: Readonly<Record<string, unknown>>,
  options: VerifierFactoryOptions,
) => Verifier[];
