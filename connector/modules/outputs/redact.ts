/**
 * Redaction of secret-looking keys for the `log` module's output only. The
 * relayed message itself is never altered (SPEC §9); this only keeps secrets
 * out of log lines.
 */

const SENSITIVE_FRAGMENTS = [
  "password",
  "passwd",
  "secret",
  "token",
  "apikey",
  "authorization",
  "credential",
  "privatekey",
  "cookie",
  "session",
  "signature",
  "databaseurl",
  "connectionstring",
];
const SENSITIVE_EXACT = new Set(["pwd", "auth", "key"]);

/** The placeholder that replaces a redacted value. */
export const REDACTED = "[REDACTED]";

/** Whether a key or header name looks like it holds a secret. */
export function isSensitiveKey(key: string): boolean {
  const normalized = key.toLowerCase().replace(/[-_\s.]/g, "");
  if (SENSITIVE_EXACT.has(normalized)) return true;
  return SENSITIVE_FRAGMENTS.some((fragment) => normalized.includes(fragment));
}

/**
 * A copy of `value` with the values of sensitive keys replaced. Objects
 * nested deeper than `maxDepth` are replaced by a marker.
 */
export function redactSensitive(value: unknown, maxDepth = 10, depth = 0): unknown {
  if (value === null || typeof value !== "object") return value;
  if (depth >= maxDepth) return "[MAX DEPTH]";
  if (Array.isArray(value)) return value.map((item) => redactSensitive(item, maxDepth, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = isSensitiveKey(key) ? REDACTED : redactSensitive(item, maxDepth, depth + 1);
  }
  return out;
}
