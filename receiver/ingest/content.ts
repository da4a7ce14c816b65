/**
 * Content checks of `json` webhooks (SPEC §3.2): a declared Content-Type
 * must be JSON, the body must be UTF-8 JSON. Checking only reads the bytes;
 * what is stored is the original buffer.
 */
import { isUtf8 } from "node:buffer";
import { JsonTooDeepError, MalformedJsonError, UnsupportedContentError } from "./errors.js";
import { JsonScan, MAX_JSON_DEPTH, scanJson } from "./json-scan.js";

/** true for `application/json` and any `type/subtype+json`, parameters allowed. */
export function isJsonMediaType(contentType: string): boolean {
  const mediaType = contentType.split(";", 1)[0]!.trim().toLowerCase();
  if (mediaType === "application/json") return true;
  const slash = mediaType.indexOf("/");
  return slash > 0 && mediaType.endsWith("+json") && mediaType.length > slash + "+json".length + 1;
}

function charsetOf(contentType: string): string | undefined {
  for (const parameter of contentType.split(";").slice(1)) {
    const [name, value] = parameter.split("=", 2);
    if (name?.trim().toLowerCase() === "charset" && value !== undefined) {
      return value
        .trim()
        .replace(/^"(.*)"$/, "$1")
        .toLowerCase();
    }
  }
  return undefined;
}

/**
 * Throws UnsupportedContentError when a `json` webhook's request declares a
 * Content-Type that is not JSON, a charset other than UTF-8 (RFC 8259 JSON
 * is UTF-8), or a Content-Encoding (a compressed body cannot be validated).
 * A missing Content-Type is accepted: many senders omit it.
 */
export function checkJsonContentHeaders(
  contentType: string | undefined,
  contentEncoding: string | undefined,
): void {
  if (contentType !== undefined && contentType !== "") {
    if (!isJsonMediaType(contentType)) {
      throw new UnsupportedContentError(
        "this webhook accepts JSON; send Content-Type application/json",
      );
    }
    const charset = charsetOf(contentType);
    if (charset !== undefined && charset !== "utf-8" && charset !== "utf8") {
      throw new UnsupportedContentError("JSON bodies must be UTF-8");
    }
  }
  if (contentEncoding !== undefined && contentEncoding.trim().toLowerCase() !== "identity") {
    throw new UnsupportedContentError("compressed bodies are not accepted for JSON webhooks");
  }
}

/** 3 when `bytes` start with the UTF-8 byte order mark (skipped, as JSON parsers do), else 0. */
export function byteOrderMarkLength(bytes: Uint8Array): number {
  return bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
}

/**
 * Throws MalformedJsonError unless `body` is valid UTF-8 holding one JSON
 * value, and JsonTooDeepError when that value nests arrays and objects
 * deeper than MAX_JSON_DEPTH. A linear scan that builds nothing: a
 * hostile body costs the time to read it, not a parse tree.
 */
export function checkJsonBody(body: Buffer): void {
  if (!isUtf8(body)) throw new MalformedJsonError("request body is not valid UTF-8");
  const result = scanJson(body, byteOrderMarkLength(body));
  if (result === JsonScan.TOO_DEEP) throw new JsonTooDeepError(MAX_JSON_DEPTH);
  if (result !== JsonScan.VALID) throw new MalformedJsonError("request body is not valid JSON");
}
