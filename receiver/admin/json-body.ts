/**
 * Reads the small JSON bodies of admin requests: at most MAX_ADMIN_BODY
 * bytes, an object at the top level, empty meaning `{}`, with only the
 * keys the route knows.
 */
import type { AnyRequest } from "../server/index.js";
import { AdminRequestError, badRequest } from "./errors.js";

/** Largest admin request body in bytes. */
export const MAX_ADMIN_BODY = 1_048_576;

/**
 * Reads and parses the request body as a JSON object (`{}` when empty);
 * a key not in `allowed` is a 400 naming it.
 */
export async function readJsonObject(
  req: AnyRequest,
  allowed: readonly string[],
): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_ADMIN_BODY) {
      throw new AdminRequestError(
        "WC_ERR_ADMIN_TOO_LARGE",
        `request body larger than ${MAX_ADMIN_BODY} bytes`,
      );
    }
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString("utf8").trim();
  if (text === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw badRequest("request body is not valid JSON");
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw badRequest("request body must be a JSON object");
  }
  const body = parsed as Record<string, unknown>;
  rejectUnknownKeys(body, allowed);
  return body;
}

/** Throws a 400 naming the first key of `body` that is not in `allowed`. */
function rejectUnknownKeys(
  body: Readonly<Record<string, unknown>>,
  allowed: readonly string[],
): void {
  for (const key of Object.keys(body)) {
    if (!allowed.includes(key)) {
      throw badRequest(`unknown field '${key}' (expected one of: ${allowed.join(", ")})`);
    }
  }
}
