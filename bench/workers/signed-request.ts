/**
 * What every ingest anchor does before storing: read the whole body,
 * verify its HMAC-SHA256 hex signature in constant time, and answer like
 * the receiver (200 with a small JSON body, or an empty error status).
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import type http from "node:http";
import type { AddressInfo } from "node:net";
import type { SigningOptions } from "./api.js";

const accepted = Buffer.from('{"status":"accepted"}');

/** Calls `onBody` with the complete body of `req`. */
export function readBody(req: http.IncomingMessage, onBody: (body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", () => onBody(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
}

/** A verifier of hex HMAC-SHA256 signatures over the raw body. */
export function createSignatureCheck(
  signing: SigningOptions,
): (req: http.IncomingMessage, body: Buffer) => boolean {
  const header = signing.header.toLowerCase();
  return (req, body) => {
    const given = req.headers[header];
    // 64 hex digits exactly: Buffer.from(…, "hex") stops at the first bad digit.
    if (typeof given !== "string" || given.length !== 64) return false;
    const expected = createHmac("sha256", signing.secret).update(body).digest();
    const actual = Buffer.from(given, "hex");
    return actual.length === expected.length && timingSafeEqual(actual, expected);
  };
}

/** Answers 200 with the receiver's `accepted` body. */
export function answerAccepted(res: http.ServerResponse): void {
  res.writeHead(200, { "content-type": "application/json", "content-length": accepted.length });
  res.end(accepted);
}

/** Answers `status` with an empty body (401 bad signature, 503 not stored). */
export function answerError(res: http.ServerResponse, status: number): void {
  res.writeHead(status, { "content-length": 0 });
  res.end();
}

/** Listens on 127.0.0.1 (port 0) and resolves with the base URL. */
export function listenLocal(server: http.Server): Promise<string> {
  server.keepAliveTimeout = 60_000;
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      resolve(`http://127.0.0.1:${port}`);
    });
  });
}
