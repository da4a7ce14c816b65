/**
 * A small client of the admin API for the `status` command, turning every
 * failure into one clear line (refused token, disabled API, unreachable).
 */

/** A failure the command prints as one line. */
export class StatusError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StatusError";
  }
}

function describeNetworkError(baseUrl: string, error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const detail = cause?.code ?? cause?.message ?? (error as Error).message;
  if ((error as Error).name === "TimeoutError") return `${baseUrl} did not answer in time`;
  return `cannot reach ${baseUrl} (${detail})`;
}

/** GETs an admin path and returns the parsed JSON body. */
export async function getAdminJson(
  baseUrl: string,
  adminToken: string,
  path: string,
  timeoutMs: number,
): Promise<unknown> {
  const url = `${baseUrl.replace(/\/+$/, "")}/admin/webhook-connect${path}`;
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { authorization: `Bearer ${adminToken}`, accept: "application/json" },
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    throw new StatusError(describeNetworkError(baseUrl, error));
  }
  const text = await response.text();
  if (response.status === 401) {
    throw new StatusError(
      "the receiver refused the admin token (401); check --admin-token or WEBHOOK_CONNECT_ADMIN_TOKEN",
    );
  }
  if (response.status === 403) {
    throw new StatusError(
      "the receiver's admin API is disabled (403); start the receiver with WEBHOOK_CONNECT_ADMIN_TOKEN set",
    );
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new StatusError(`${url} answered ${response.status} without JSON; is this a receiver?`);
  }
  if (!response.ok) {
    const message = (body as { message?: unknown }).message;
    throw new StatusError(
      `${url} answered ${response.status}${typeof message === "string" ? `: ${message}` : ""}`,
    );
  }
  return body;
}
