/**
 * The OAuth 1.0 signature base string (RFC 5849 §3.4.1): method, base
 * string URI and the normalized parameters from the query, the
 * application/x-www-form-urlencoded body and the protocol parameters.
 */

/** RFC 3986 percent-encoding of every character outside the unreserved set (RFC 5849 §3.6). */
export function oauthEncode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** Decoded name/value pairs of an x-www-form-urlencoded string ('+' is a space). */
export function formPairs(encoded: string): Array<[string, string]> {
  return [...new URLSearchParams(encoded)];
}

/**
 * The base string URI (§3.4.1.2): scheme and host lower case, default port
 * dropped, path as received, no query.
 */
export function baseStringUri(origin: string, path: string): string | undefined {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return undefined;
  }
  // URL already lower-cases scheme and host and drops default ports.
  return `${url.protocol}//${url.host}${path === "" ? "/" : path}`;
}

/** Parameter normalization (§3.4.1.3.2): encode, sort by name then value, join. */
export function normalizeParameters(pairs: ReadonlyArray<readonly [string, string]>): string {
  return pairs
    .map(([name, value]) => [oauthEncode(name), oauthEncode(value)] as const)
    .sort(([aName, aValue], [bName, bValue]) =>
      aName < bName ? -1 : aName > bName ? 1 : aValue < bValue ? -1 : aValue > bValue ? 1 : 0,
    )
    .map(([name, value]) => `${name}=${value}`)
    .join("&");
}

/** The complete signature base string. */
export function signatureBaseString(
  method: string,
  uri: string,
  pairs: ReadonlyArray<readonly [string, string]>,
): string {
  return [method.toUpperCase(), oauthEncode(uri), oauthEncode(normalizeParameters(pairs))].join(
    "&",
  );
}
