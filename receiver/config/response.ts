/**
 * The `response` block of a webhooks.json entry: the answer an accepted
 * webhook gets instead of our JSON, for senders that expect something else
 * (an empty 200, a plain `OK`, a 202). `{message_id}`, `{channel}` and
 * `{webhook_id}` in the body and header values are replaced per message.
 */
import { z } from "zod";
import { ConfigError } from "../../config-file/index.js";
import { configErrorMap, issueToConfigError } from "./issues.js";

/** The placeholders a custom response may use. */
export const RESPONSE_PLACEHOLDERS = ["message_id", "channel", "webhook_id"] as const;

/** A placeholder of a custom response. */
export type ResponsePlaceholder = (typeof RESPONSE_PLACEHOLDERS)[number];

/** Literal text or a placeholder, in order. */
export type ResponsePart = string | { readonly placeholder: ResponsePlaceholder };

/**
 * Headers the receiver sets itself: framing and connection headers would
 * break the answer, and the message and request ids are always sent.
 */
const RESERVED_HEADERS = new Set([
  "content-length",
  "transfer-encoding",
  "connection",
  "keep-alive",
  "upgrade",
  "trailer",
  "x-webhook-message-id",
  "x-request-id",
]);

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Visible ASCII, spaces and tabs: what every HTTP stack passes through unchanged. */
const FIELD_VALUE = /^[\t\x20-\x7e]*$/;

const responseSchema = z.strictObject({
  /** Status of the answer; a 2xx, since the message was stored. @default 200 */
  status: z.preprocess(
    (value) => (typeof value === "string" && /^\d{3}$/.test(value) ? Number(value) : value),
    z
      .number({ error: "expected a 2xx status code" })
      .int({ error: "expected a 2xx status code" })
      .min(200, { error: "expected a 2xx status code (the webhook was stored)" })
      .max(299, { error: "expected a 2xx status code (the webhook was stored)" }),
  ),
  /** Extra response headers, name → value. @default {} */
  headers: z.record(z.string(), z.string({ error: "expected a string" }), {
    error: "expected an object of header name → value",
  }),
  /** Response body (UTF-8). @default "" */
  body: z.string({ error: "expected a string" }),
});

const RESPONSE_KEYS = Object.keys(responseSchema.shape);

/** A validated `response` block, its templates split once at start-up. */
export interface CustomResponse {
  /** Status code (2xx). @default 200 */
  readonly status: number;
  /** Header name and value template, in configured order; `Content-Type` always present when there is a body. */
  readonly headers: readonly { readonly name: string; readonly value: readonly ResponsePart[] }[];
  /** Body template. */
  readonly body: readonly ResponsePart[];
}

const PLACEHOLDER = /\{(message_id|channel|webhook_id)\}/g;

/** Splits `text` into literals and the placeholders it names. Other braces stay literal. */
export function compileTemplate(text: string): ResponsePart[] {
  const parts: ResponsePart[] = [];
  let last = 0;
  for (const match of text.matchAll(PLACEHOLDER)) {
    if (match.index > last) parts.push(text.slice(last, match.index));
    parts.push({ placeholder: match[1] as ResponsePlaceholder });
    last = match.index + match[0].length;
  }
  if (last < text.length) parts.push(text.slice(last));
  return parts;
}

/** Validates the `response` block of entry `id`. Throws ConfigError. */
export function parseResponseBlock(file: string, id: string, block: unknown): CustomResponse {
  const schema = responseSchema.partial();
  const parsed = schema.safeParse(block, { error: configErrorMap });
  if (!parsed.success)
    throw issueToConfigError(file, [id, "response"], parsed.error, RESPONSE_KEYS);
  const status = parsed.data.status ?? 200;
  const body = parsed.data.body ?? "";
  const at = (key: string) => `${id}.response.${key}`;
  if ((status === 204 || status === 205) && body !== "") {
    throw new ConfigError(file, at("body"), `must be empty with status ${status}`);
  }
  const headers: { name: string; value: ResponsePart[] }[] = [];
  let hasContentType = false;
  for (const [name, value] of Object.entries(parsed.data.headers ?? {})) {
    if (!TOKEN.test(name))
      throw new ConfigError(file, at("headers"), `'${name}' is not a header name`);
    const lower = name.toLowerCase();
    if (RESERVED_HEADERS.has(lower)) {
      throw new ConfigError(
        file,
        at(`headers.${name}`),
        "is set by the receiver and cannot be configured",
      );
    }
    if (!FIELD_VALUE.test(value)) {
      throw new ConfigError(
        file,
        at(`headers.${name}`),
        "expected visible ASCII text (no line breaks or control characters)",
      );
    }
    if (lower === "content-type") hasContentType = true;
    headers.push({ name, value: compileTemplate(value) });
  }
  if (body !== "" && !hasContentType) {
    headers.push({ name: "Content-Type", value: ["text/plain; charset=utf-8"] });
  }
  return { status, headers, body: compileTemplate(body) };
}
