/**
 * Reads the signatures (and, for list formats, the timestamp) out of a
 * signature header value according to a scheme's SignatureFormat.
 */
import type { SignatureEncoding, SignatureFormat } from "./presets.js";

/** What a signature header carries. */
export interface ParsedSignatureHeader {
  /** Every candidate signature, still encoded. */
  readonly signatures: readonly string[];
  /** Timestamp item of list formats, if present. */
  readonly timestamp?: string;
}

/** Splits a header value into signatures; an empty list means none found. */
export function parseSignatureHeader(
  value: string,
  format: SignatureFormat,
): ParsedSignatureHeader {
  if (format.kind === "prefixed") {
    const trimmed = value.trim();
    if (!trimmed.startsWith(format.prefix)) return { signatures: [] };
    const signature = trimmed.slice(format.prefix.length);
    return { signatures: signature === "" ? [] : [signature] };
  }
  const signatures: string[] = [];
  let timestamp: string | undefined;
  for (const item of value.split(format.itemSeparator)) {
    const cut = item.indexOf(format.keySeparator);
    if (cut <= 0) continue;
    const key = item.slice(0, cut).trim();
    const itemValue = item.slice(cut + format.keySeparator.length).trim();
    if (key === format.signatureKey && itemValue !== "") signatures.push(itemValue);
    else if (format.timestampKey !== undefined && key === format.timestampKey)
      timestamp = itemValue;
  }
  return timestamp === undefined ? { signatures } : { signatures, timestamp };
}

const hexPattern = /^(?:[0-9a-fA-F]{2})+$/;
const base64Pattern = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Decodes an encoded digest; undefined when it is not valid in that encoding. */
export function decodeSignature(value: string, encoding: SignatureEncoding): Buffer | undefined {
  if (encoding === "hex") return hexPattern.test(value) ? Buffer.from(value, "hex") : undefined;
  return value !== "" && base64Pattern.test(value) ? Buffer.from(value, "base64") : undefined;
}

/** True for a canonical padded base64 string. */
export function isBase64(value: string): boolean {
  return value !== "" && base64Pattern.test(value);
}
