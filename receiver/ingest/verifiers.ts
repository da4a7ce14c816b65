/** Builds every relayed webhook's verifiers once, at handler creation. */
import type { CreateVerifiers, Verifier, VerifierFactoryOptions } from "../auth/verifier.js";
import type { ReceiverConfig } from "../config/index.js";

/** A webhook's checks, split by when they run. */
export interface WebhookVerifiers {
  /** Authentication checks; all must pass before anything else is looked at. */
  readonly auth: readonly Verifier[];
  /** Checks that run only for authenticated requests (`rate_limit`, `json_schema`). */
  readonly afterAuth: readonly Verifier[];
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
      built.set(entry.id, {
        auth: verifiers.filter((verifier) => !verifier.afterAuth),
        afterAuth: verifiers.filter((verifier) => verifier.afterAuth),
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
