/**
 * Builds the single verifier of a one-block webhook entry.
 */
import { createVerifiers, loadVerifierBlocks } from "../../../receiver/auth/index.js";
import type { Verifier, VerifierFactoryOptions } from "../../../receiver/auth/verifier.js";
import { testOptions } from "./request-fixture.js";

// The JWT, OAuth 2.0 and JSON Schema blocks' modules load on demand (as
// startReceiver does for the blocks its config uses).
await loadVerifierBlocks();

/** The verifier for `{ [key]: block, ...siblings }` of webhook `relay`. */
export function buildVerifier(
  key: string,
  block: unknown,
  options: VerifierFactoryOptions = testOptions(),
  siblings: Record<string, unknown> = {},
): Verifier {
  const verifiers = createVerifiers("relay", { ...siblings, [key]: block }, options);
  const verifier = verifiers.find((candidate) => candidate.method === key);
  if (verifier === undefined) throw new Error(`no ${key} verifier built`);
  return verifier;
}
