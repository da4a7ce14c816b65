/**
 * The HTTP face every anchor shares: read the body, check its HMAC
 * signature (401 when wrong), hand the record to the anchor's store, and
 * report the anchor's counters to the bench.
 */
import http from "node:http";
import { type AnchorRecord, anchorRecord, type EnvelopeKind } from "./anchor-record.js";
import type { AnchorApi } from "./api.js";
import { serveWorker } from "./serve.js";
import { answerError, listenLocal, readBody } from "./signed-request.js";

/** What an anchor has stored so far. */
export interface AnchorCounts {
  readonly stored: number;
  readonly writes: number;
  readonly bytes: number;
  readonly failed: number;
}

/** Serves an anchor on a local port until the bench stops the worker. */
export async function serveAnchor(options: {
  readonly signatureValid: (req: http.IncomingMessage, body: Buffer) => boolean;
  readonly envelope: EnvelopeKind;
  readonly push: (item: { record: AnchorRecord; res: http.ServerResponse }) => void;
  readonly counts: () => AnchorCounts;
}): Promise<void> {
  const { signatureValid, envelope, push, counts } = options;
  const server = http.createServer((req, res) => {
    readBody(req, (body) => {
      if (!signatureValid(req, body)) {
        answerError(res, 401);
        return;
      }
      push({ record: anchorRecord(req, body, envelope), res });
    });
  });
  serveWorker<AnchorApi>(
    {
      stats: () => {
        const { stored, writes, bytes, failed } = counts();
        return { stored, writes, recordBytes: stored === 0 ? 0 : bytes / stored, failed };
      },
    },
    { url: await listenLocal(server) },
  );
}
