/**
 * The app behind the connectors: answers 200 and records the delivery in
 * the ledger by `X-Webhook-Message-Id`, or 500 while `failing` is set (a
 * 500 is not a delivery).
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Ledger } from "./ledger.js";

/** A running target. */
export interface ChaosTarget {
  readonly url: string;
  /** While true, every request is answered 500. */
  failing: boolean;
  /** Requests answered 500 so far. */
  failed(): number;
  close(): Promise<void>;
}

/** Starts the target on 127.0.0.1 and a free port. */
export async function startChaosTarget(ledger: Ledger): Promise<ChaosTarget> {
  let failed = 0;
  const target: ChaosTarget = {
    url: "",
    failing: false,
    failed: () => failed,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      if (target.failing) {
        failed += 1;
        res.writeHead(500).end("failing on purpose");
        return;
      }
      const id = req.headers["x-webhook-message-id"];
      if (typeof id === "string") ledger.delivered(id);
      res.writeHead(200).end("ok");
    });
  });
  server.keepAliveTimeout = 10_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  Object.assign(target, { url: `http://127.0.0.1:${port}/hook` });
  const close = target.close;
  target.close = () => {
    server.closeAllConnections();
    return close();
  };
  return target;
}
