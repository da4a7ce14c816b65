/**
 * The `--tls-cert`/`--tls-key` files, read and tried before anything
 * listens: a missing, unreadable or non-PEM file is a start-up error
 * naming the flag and the file, not an uncaught exception from the
 * listener.
 */
import { readFileSync } from "node:fs";
import { createSecureContext } from "node:tls";
import { ConfigError } from "../config/index.js";
import { fileProblem } from "./file-problem.js";

function readFlagFile(flag: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new ConfigError(flag, "", `cannot read '${file}': ${fileProblem(error)}`, {
      cause: error,
    });
  }
}

/**
 * Throws a ConfigError unless `certFile` and `keyFile` are readable and
 * form a PEM certificate with its private key.
 */
export function checkTlsFiles(certFile: string, keyFile: string): void {
  const cert = readFlagFile("--tls-cert", certFile);
  const key = readFlagFile("--tls-key", keyFile);
  try {
    createSecureContext({ cert, key });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigError(
      "--tls-cert/--tls-key",
      "",
      `'${certFile}' and '${keyFile}' are not a PEM certificate and its private key (${reason})`,
      { cause: error },
    );
  }
}
