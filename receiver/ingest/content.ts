/**
 * Content checks of `json` webhooks (SPEC §3.2): a declared Content-Type
 * must be JSON, the body must be UTF-8 JSON. Checking only reads the bytes;
 * what is stored is the original buffer.
 */
import { isUtf8 } from "node:buffer";
import { MalformedJsonError, UnsupportedContentError } from "./errors.js";

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

const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** Throws MalformedJsonError unless `body` is valid UTF-8 holding one JSON value. */
export function checkJsonBody(body: Buffer): void {
  if (!isUtf8(body)) throw new MalformedJsonError("request body is not valid UTF-8");
  const start = body.subarray(0, 3).equals(UTF8_BOM) ? 3 : 0;
  try {
    JSON.parse(body.toString("utf8", start));
  } catch {
    throw new MalformedJsonError("request body is not valid JSON");
  }
}
