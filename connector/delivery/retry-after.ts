/**
 * `Retry-After` (RFC 9110 §10.2.3): delay-seconds or an HTTP-date.
 */

/**
 * Returns the delay a `Retry-After` value asks for, in milliseconds, or
 * undefined when the value is absent or malformed. A date in the past is 0.
 */
export function parseRetryAfter(
  value: string | readonly string[] | undefined,
  nowMs: number = Date.now(),
): number | undefined {
  const raw = (Array.isArray(value) ? value[0] : value) as string | undefined;
  if (raw === undefined) return undefined;
  const text = raw.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1_000;
  // HTTP-dates always name a weekday and GMT; Date.parse accepts all three historic forms.
  if (!/GMT$/i.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}
