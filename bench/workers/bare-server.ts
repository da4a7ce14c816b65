/**
 * The ingest baseline: a bare Node `http` server that reads the whole body
 * and answers 200 with a small JSON body, like the receiver's answer but
 * without authentication, storage or anything else.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { serveWorker } from "./serve.js";

const answer = Buffer.from('{"status":"accepted"}');

const server = http.createServer((req, res) => {
  // Reading every chunk is the work the receiver cannot avoid either.
  req.on("data", () => undefined);
  req.on("end", () => {
    res.writeHead(200, {
      "content-type": "application/json",
      "content-length": answer.length,
    });
    res.end(answer);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => {
  const { port } = server.address() as AddressInfo;
  serveWorker<Record<string, never>>({}, { url: `http://127.0.0.1:${port}` });
});
