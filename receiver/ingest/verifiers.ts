/** Builds every relayed webhook's verifiers once, at handler creation. */
import type { CreateVerifiers, Verifier, VerifierFactoryOptions } from "../auth/index.js";
import type { CustomResponse, ReceiverConfig } from "../config/index.js";
import { createHandshake, type Handshake } from "../handshake/index.js";

/** A webhook's provider handshake and the checks a handshake request must pass. */
export interface HandshakeChecks {
  /** Recognises, verifies and answers the provider's handshake. */
  readonly responder: Handshake;
  /**
   * The webhook's checks minus `hmac` (the provider's own verification
   * stands in for it; Dropbox, Graph and X sign no handshake) and minus
   * `json_schema` (a handshake is not an event): an IP allow-list, a query
   * token or a rate limit still apply.
   */
  readonly checks: readonly Verifier[];
}

/** A webhook's checks, split by when they run, and what it answers besides the default. */
export interface WebhookVerifiers {
  /** Authentication checks; all must pass before anything else is looked at. */
  readonly auth: readonly Verifier[];
  /** Checks that run only for authenticated requests (`rate_limit`, `json_schema`). */
  readonly afterAuth: readonly Verifier[];
  /** The provider handshake, for webhooks with a `handshake` block. */
  readonly handshake: HandshakeChecks | undefined;
  /** The custom answer to accepted webhooks, for webhooks with a `response` block. */
  readonly response: CustomResponse | undefined;
}

/** Options passed through to the verifier factory. */
export interface BuildVerifiersOptions {
  /** Redis URL for state shared between replicas (rate limits, nonces). */
  readonly redisUrl?: string;
  /** Clock in ms since epoch. */
  readonly now: () => number;
}

/** Closes every verifier that has a `close`, waiting for all of them. */
export async function closeVerifiers(verifiers: Iterable<Verifier>): Promise<void> {
  await Promise.all([...verifiers].map((verifier) => verifier.close?.()));
}

/**
 * Calls `createVerifiers` for every relayed webhook. A config error thrown
 * by the factory propagates (start-up fails); verifiers created before it
 * are closed in the background, since the process is about to stop anyway.
 */
export function buildVerifiers(
  config: ReceiverConfig,
  createVerifiers: CreateVerifiers,
  options: BuildVerifiersOptions,
): Map<string, WebhookVerifiers> {
  const built = new Map<string, WebhookVerifiers>();
  try {
    for (const entry of config.webhooks.values()) {
      if (!entry.relayed) continue;
      const factoryOptions: VerifierFactoryOptions = {
        configPath: config.file,
        now: options.now,
        ...(options.redisUrl === undefined ? {} : { redisUrl: options.redisUrl }),
      };
      const verifiers = createVerifiers(entry.id, entry.raw, factoryOptions);
      const auth = verifiers.filter((verifier) => !verifier.afterAuth);
      const afterAuth = verifiers.filter((verifier) => verifier.afterAuth);
      built.set(entry.id, {
        auth,
        afterAuth,
        handshake:
          entry.handshake === undefined
            ? undefined
            : {
                responder: createHandshake(entry.handshake),
                checks: [
                  ...auth.filter((verifier) => verifier.method !== "hmac"),
                  ...afterAuth.filter((verifier) => verifier.method !== "json_schema"),
                ],
              },
        response: entry.response,
      });
    }
  } catch (error) {
    const created = [...built.values()].flatMap((set) => [...set.auth, ...set.afterAuth]);
    // A close failure must not mask the config error that stops start-up.
    closeVerifiers(created).catch(() => undefined);
    throw error;
  }
  return built;
}
