/**
 * TLS settings of the connector (`verify_ssl`, `ca_cert_path`,
 * `client_cert_path`, `client_key_path`), read once at start-up and passed
 * to every connection the connector opens to the receiver, acks included.
 */
import { readFileSync } from "node:fs";
import { TlsFileError } from "../errors.js";

/** TLS settings as configured. */
export interface TlsSettings {
  /** Verify the server certificate. @default true */
  readonly verifySsl?: boolean;
  /** PEM file of trusted CAs (replaces the default list). */
  readonly caCertPath?: string | undefined;
  /** PEM client certificate for mutual TLS. */
  readonly clientCertPath?: string | undefined;
  /** PEM client key for mutual TLS. */
  readonly clientKeyPath?: string | undefined;
}

/** Node TLS options (a subset of tls.ConnectionOptions) with the files read. */
export interface TlsOptions {
  /** Whether to reject a server certificate that does not verify. */
  readonly rejectUnauthorized: boolean;
  /** Trusted CAs, when configured. */
  readonly ca?: Buffer;
  /** Client certificate, when configured. */
  readonly cert?: Buffer;
  /** Client key, when configured. */
  readonly key?: Buffer;
}

function readPem(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "read error";
    throw new TlsFileError(`cannot read ${what} '${path}' (${code})`, error);
  }
}

/** Reads the configured PEM files. Throws TlsFileError naming the file that failed. */
export function loadTlsOptions(settings: TlsSettings): TlsOptions {
  const options: { -readonly [K in keyof TlsOptions]: TlsOptions[K] } = {
    rejectUnauthorized: settings.verifySsl ?? true,
  };
  if (settings.caCertPath !== undefined) options.ca = readPem(settings.caCertPath, "ca_cert_path");
  if (settings.clientCertPath !== undefined) {
    options.cert = readPem(settings.clientCertPath, "client_cert_path");
  }
  if (settings.clientKeyPath !== undefined) {
    options.key = readPem(settings.clientKeyPath, "client_key_path");
  }
  return options;
}
