/**
 * What the private nats-server and redis-server helpers share beyond
 * server-process.ts: finding their executable by an environment variable
 * and usual install paths, saying whether it is installed, and the
 * PrivateServer handle over a restartable process and its files.
 */
import { rmSync } from "node:fs";
import {
  binaryAvailable,
  findBinary,
  type PrivateServer,
  type RestartableProcess,
} from "./server-process.js";

/** Where a server executable is looked for, and how to get one. */
export interface ServerBinary {
  /** Executable name, e.g. `nats-server`. */
  readonly name: string;
  /** Environment variable that names the executable. */
  readonly envVar: string;
  /** Usual install paths, tried in order when `envVar` is not set. */
  readonly defaults: readonly string[];
  /** How to install it, shown when it is missing. */
  readonly installHint: string;
}

/** The executable: `envVar`, else the first usual install path, else undefined. */
export function locateBinary(binary: ServerBinary): string | undefined {
  return findBinary([process.env[binary.envVar], ...binary.defaults]);
}

/**
 * true when the executable exists. When it does not: throws under CI=true,
 * otherwise prints how to provide one and returns false, so the caller can skip.
 */
export function binaryInstalled(binary: ServerBinary): boolean {
  return binaryAvailable(
    locateBinary(binary),
    `private ${binary.name}`,
    `${binary.name} is not installed; ${binary.installHint}`,
  );
}

/**
 * The two look-ups each private server helper exports for its executable:
 * `locate()` (see locateBinary) and `installed()` (see binaryInstalled).
 */
export function serverBinary(binary: ServerBinary) {
  return {
    locate: (): string | undefined => locateBinary(binary),
    installed: (): boolean => binaryInstalled(binary),
  };
}

/** The PrivateServer for `server` at `url`; its close kills the process and deletes `dir`. */
export function privateServer(url: string, server: RestartableProcess, dir: string): PrivateServer {
  return {
    url,
    running: server.running,
    start: server.start,
    stop: server.stop,
    async close() {
      await server.stop("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
