/**
 * Builds the single verifier of a one-block webhook entry.
 */
import { createVerifiers } from "../../../receiver/auth/index.js";
import type { Verifier, VerifierFactoryOptions } from "../../../receiver/auth/verifier.js";
import { testOptions } from "./request-fixture.js";

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
