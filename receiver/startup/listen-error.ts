/** Listen failures at start-up (port in use, address not on this machine) as one line. */
import { ConfigError } from "../config/index.js";

const PROBLEMS: Readonly<Record<string, string>> = {
  EADDRINUSE: "the address is already in use (another process listens on it)",
  EACCES: "permission denied (ports below 1024 need privileges)",
  EADDRNOTAVAIL: "the address does not belong to this machine",
  ENOTFOUND: "the host name does not resolve",
  EAI_AGAIN: "the host name could not be resolved (DNS unavailable)",
  EAFNOSUPPORT: "the address family is not supported here",
};

/** A ConfigError naming `host:port` for a system error raised by listening; else undefined. */
export function listenStartupError(
  error: unknown,
  host: string,
  port: number,
): ConfigError | undefined {
  const failure = error as NodeJS.ErrnoException | null;
  const syscall = failure?.syscall;
  if (syscall !== "listen" && syscall !== "bind" && syscall !== "getaddrinfo") return undefined;
  const code = failure?.code ?? "";
  const problem = PROBLEMS[code] ?? failure?.message ?? "unknown error";
  const address = host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
  return new ConfigError("--host/--port", "", `cannot listen on ${address}: ${problem} (${code})`, {
    cause: error,
  });
}
