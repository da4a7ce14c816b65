/**
 * Admin authentication: `Authorization: Bearer $WEBHOOK_CONNECT_ADMIN_TOKEN`,
 * compared in constant time. Without a configured token the admin API is
 * disabled and says how to enable it.
 */
import { bearerToken, secretsEqual } from "../channels/index.js";
import { WebhookConnectError } from "../errors.js";

/** Message of the 403 answered while the admin API is disabled. */
export const ADMIN_DISABLED_MESSAGE =
  "the admin API is disabled; set WEBHOOK_CONNECT_ADMIN_TOKEN on the receiver to enable it " +
  "and send it as 'Authorization: Bearer <token>'";

/**
 * Throws WC_ERR_ADMIN_DISABLED (403) when no admin token is configured and
 * WC_ERR_ADMIN_UNAUTHORIZED (401) when the header is missing or wrong.
 */
export function checkAdminAuthorization(
  adminToken: string | undefined,
  authorization: string | string[] | undefined,
): void {
  if (adminToken === undefined || adminToken === "") {
    throw new WebhookConnectError("WC_ERR_ADMIN_DISABLED", ADMIN_DISABLED_MESSAGE);
  }
  const header = Array.isArray(authorization) ? undefined : authorization;
  const token = bearerToken(header);
  if (token === undefined) {
    throw new WebhookConnectError(
      "WC_ERR_ADMIN_UNAUTHORIZED",
      "missing admin token: send 'Authorization: Bearer <WEBHOOK_CONNECT_ADMIN_TOKEN>'",
    );
  }
  if (!secretsEqual(token, adminToken)) {
    throw new WebhookConnectError("WC_ERR_ADMIN_UNAUTHORIZED", "invalid admin token");
  }
}
