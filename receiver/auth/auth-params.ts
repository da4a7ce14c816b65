/**
 * Parses the auth-param list of an Authorization header (`Digest`, `OAuth`)
 * (RFC 7616 §3.4, RFC 7235 §2.1): `name=token` or `name="quoted \" string"`.
 */

/** Parameter names lower-cased; undefined when the list is malformed. */
export function parseAuthParams(credentials: string): Map<string, string> | undefined {
  const params = new Map<string, string>();
  let i = 0;
  const skip = () => {
    while (i < credentials.length && /[\s,]/.test(credentials[i] ?? "")) i++;
  };
  skip();
  while (i < credentials.length) {
    const name = /^[A-Za-z0-9_-]+/.exec(credentials.slice(i))?.[0];
    if (name === undefined) return undefined;
    i += name.length;
    while (credentials[i] === " ") i++;
    if (credentials[i] !== "=") return undefined;
    i++;
    while (credentials[i] === " ") i++;
    let value = "";
    if (credentials[i] === '"') {
      i++;
      for (;;) {
        const char = credentials[i];
        if (char === undefined) return undefined;
        i++;
        if (char === '"') break;
        if (char === "\\") {
          const escaped = credentials[i];
          if (escaped === undefined) return undefined;
          value += escaped;
          i++;
        } else value += char;
      }
    } else {
      const token = /^[^\s,]*/.exec(credentials.slice(i))?.[0] ?? "";
      value = token;
      i += token.length;
    }
    const key = name.toLowerCase();
    if (params.has(key)) return undefined;
    params.set(key, value);
    skip();
  }
  return params;
}
