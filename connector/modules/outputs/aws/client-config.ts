/**
 * What the S3 and SQS modules share: client settings from an `aws`
 * connection (region, endpoint override, static or default-chain
 * credentials) and the retry decision for a failed AWS call.
 */
import { type AwsConnection, awsConnectionSchema } from "../../config/connection-types.js";
import { toDeliveryError } from "../../message/failure.js";
import { ModuleDeliveryError } from "../../output-module.js";

/** Client options common to every AWS SDK v3 client, from connection settings. */
export interface AwsClientOptions {
  readonly region: string;
  readonly endpoint?: string;
  readonly credentials?: {
    readonly accessKeyId: string;
    readonly secretAccessKey: string;
    readonly sessionToken?: string;
  };
  readonly maxAttempts: number;
}

/** Parses `aws` connection settings into SDK client options. */
export function awsClientOptions(settings: Readonly<Record<string, unknown>>): {
  readonly parsed: AwsConnection;
  readonly options: AwsClientOptions;
} {
  const s = awsConnectionSchema.parse(settings);
  const credentials =
    s.access_key_id === undefined || s.secret_access_key === undefined
      ? undefined
      : {
          accessKeyId: s.access_key_id,
          secretAccessKey: s.secret_access_key,
          ...(s.session_token === undefined ? {} : { sessionToken: s.session_token }),
        };
  return {
    parsed: s,
    options: {
      region: s.region,
      maxAttempts: s.max_attempts,
      ...(s.endpoint_url === undefined ? {} : { endpoint: s.endpoint_url }),
      ...(credentials === undefined ? {} : { credentials }),
    },
  };
}

/** Whether the access key pair is complete: both or neither. */
export function credentialsProblem(settings: AwsConnection): string | undefined {
  const hasId = settings.access_key_id !== undefined;
  const hasSecret = settings.secret_access_key !== undefined;
  if (hasId === hasSecret) return undefined;
  return hasId ? "secret_access_key is required with access_key_id" : "access_key_id is required";
}

/**
 * A failed AWS call as a ModuleDeliveryError. Only the error names in
 * `permanent` — the service rejected this message itself — are permanent;
 * throttling, 5xx, network errors and also 403/404 (credentials, a missing
 * bucket or queue: the operator can fix those) stay retryable.
 */
export function awsFailure(
  service: string,
  error: unknown,
  permanent: ReadonlySet<string>,
): ModuleDeliveryError {
  const name = error instanceof Error ? error.name : undefined;
  const status = (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata
    ?.httpStatusCode;
  const detail = `${service}${status === undefined ? "" : ` (HTTP ${status})`}`;
  if (name !== undefined && permanent.has(name)) {
    return new ModuleDeliveryError(`${detail}: ${name}: ${(error as Error).message}`, {
      retryable: false,
      cause: error,
    });
  }
  return toDeliveryError(detail, error, true);
}
