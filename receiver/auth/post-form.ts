/**
 * The one outbound call shape the auth room needs (RFC 7662 introspection,
 * reCAPTCHA siteverify): POST an x-www-form-urlencoded body, read JSON.
 */

/** Outcome of a form POST. */
export type FormPostResult =
  | { readonly ok: true; readonly status: number; readonly json: unknown }
  | { readonly ok: false; readonly reason: string };

/** POSTs `form` to `url` and parses the JSON answer. Never throws. */
export async function postForm(
  url: string,
  form: Readonly<Record<string, string>>,
  options: { readonly headers?: Readonly<Record<string, string>>; readonly timeoutMs: number },
): Promise<FormPostResult> {
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        accept: "application/json",
        ...options.headers,
      },
      body: new URLSearchParams(form).toString(),
      signal: AbortSignal.timeout(options.timeoutMs),
      redirect: "error",
    });
    const text = await response.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return { ok: false, reason: `answer ${response.status} is not JSON` };
    }
    return { ok: true, status: response.status, json };
  } catch (error) {
    const name = error instanceof Error ? error.name : "error";
    return { ok: false, reason: name === "TimeoutError" ? "request timed out" : "request failed" };
  }
}

/** True when `value` is an http(s) URL. */
export function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "https:" || url.protocol === "http:";
  } catch {
    return false;
  }
}
