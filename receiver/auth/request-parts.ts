/**
 * Read-only accessors for the parts of an IngestRequest that verifiers look
 * at. Nothing is altered; parsing failures give `undefined`.
 */
import type { IngestRequest } from "./verifier.js";

/** The value of a header (name case-insensitive); the first one if repeated. */
export function headerValue(request: IngestRequest, name: string): string | undefined {
  const value = request.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** The credentials after an auth scheme (`Bearer`, `Basic`, …), scheme case-insensitive. */
export function authorizationCredentials(
  request: IngestRequest,
  scheme: string,
  header = "authorization",
): string | undefined {
  const value = headerValue(request, header);
  if (value === undefined) return undefined;
  const space = value.indexOf(" ");
  if (space <= 0) return undefined;
  if (value.slice(0, space).toLowerCase() !== scheme.toLowerCase()) return undefined;
  const credentials = value.slice(space + 1).trim();
  return credentials === "" ? undefined : credentials;
}

/** The media type of the request without parameters, lower case. */
export function mediaType(request: IngestRequest): string {
  const value = headerValue(request, "content-type") ?? "";
  return (value.split(";")[0] ?? "").trim().toLowerCase();
}

/** The query parameters (application/x-www-form-urlencoded decoding). */
export function queryParams(request: IngestRequest): URLSearchParams {
  return new URLSearchParams(request.query);
}
