/** The connector's version, sent in Hello for diagnostics. */
import { readFileSync } from "node:fs";

let cached: string | undefined;

/**
 * Returns `webhook-connect/<version>` from the nearest package.json named
 * webhook-connect above this file (works from sources and from dist/).
 */
export function connectorVersion(): string {
  if (cached !== undefined) return cached;
  cached = "webhook-connect/unknown";
  let dir = new URL(".", import.meta.url);
  for (let depth = 0; depth < 5; depth++) {
    try {
      const pkg = JSON.parse(readFileSync(new URL("package.json", dir), "utf8")) as {
        name?: unknown;
        version?: unknown;
      };
      if (pkg.name === "webhook-connect" && typeof pkg.version === "string") {
        cached = `webhook-connect/${pkg.version}`;
        break;
      }
    } catch {
      // No package.json at this level; keep walking up.
    }
    dir = new URL("..", dir);
  }
  return cached;
}
