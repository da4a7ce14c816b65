/**
 * Sender authentication (SPEC §3.3): `createVerifiers` turns the auth and
 * validation blocks of a webhook entry into Verifiers.
 */
export { createVerifiers, loadVerifierBlocks } from "./create-verifiers.js";
export type { AddressRange } from "./ip/address.js";
export { clientAddressText, clientScheme } from "./ip/client-ip.js";
/** The failed-authentication throttle, whole. */
export * from "./throttle/index.js";
export type {
  CreateVerifiers,
  IngestRequest,
  Verifier,
  VerifierFactoryOptions,
  VerifyResult,
} from "./verifier.js";
