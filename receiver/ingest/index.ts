/**
 * The ingest endpoint `/webhook/{id}`, its errors and events, and the JSON
 * scanning and request reading other receiver rooms reuse.
 */

export { byteOrderMarkLength } from "./content.js";
export {
  AuthenticationFailedError,
  ForbiddenError,
  INGEST_METHODS,
  InternalIngestError,
  InvalidWebhookIdError,
  JsonTooDeepError,
  MalformedJsonError,
  MethodNotAllowedError,
  NotRelayedError,
  PayloadTooLargeError,
  RateLimitedError,
  RequestAbortedError,
  SchemaValidationError,
  UnknownWebhookError,
  UnsupportedContentError,
} from "./errors.js";
export type {
  IngestAbortedEvent,
  IngestAcceptedEvent,
  IngestEvent,
  IngestHandshakeEvent,
  IngestRejectedEvent,
} from "./events.js";
export {
  createIngestHandler,
  type IngestHandler,
  type IngestHandlerOptions,
  type PublishObservation,
} from "./handler.js";
export { JsonScan, type JsonScanResult, MAX_JSON_DEPTH, scanJson } from "./json-scan.js";
export { remoteAddressOf } from "./request.js";
export { isValidTraceparent, newTraceparent } from "./traceparent.js";
