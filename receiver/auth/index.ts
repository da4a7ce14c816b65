/**
 * Sender authentication (SPEC §3.3): `createVerifiers` turns the auth and
 * validation blocks of a webhook entry into Verifiers.
 */
export { createVerifiers } from "./create-verifiers.js";
export type {
  CreateVerifiers,
  IngestRequest,
  Verifier,
  VerifierFactoryOptions,
  VerifyResult,
} from "./verifier.js";
