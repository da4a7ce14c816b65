/**
 * Ingest anchor without storage: the bare server plus HMAC-SHA256
 * verification of the body (constant-time compare), then 200. What the
 * receiver's signed ingest costs before any buffer is involved.
 */
import http from "node:http";
import type { AnchorApi, AnchorOptions } from "./api.js";
import { serveWorker, workerOptions } from "./serve.js";
import {
  answerAccepted,
  answerError,
  createSignatureCheck,
  listenLocal,
  readBody,
} from "./signed-request.js";

const { signing } = workerOptions<AnchorOptions>();
const signatureValid = createSignatureCheck(signing);
let stored = 0;

const server = http.createServer((req, res) => {
  readBody(req, (body) => {
    if (!signatureValid(req, body)) {
      answerError(res, 401);
      return;
    }
    stored++;
    answerAccepted(res);
  });
});

serveWorker<AnchorApi>(
  { stats: () => ({ stored, writes: 0, recordBytes: 0, failed: 0 }) },
  { url: await listenLocal(server) },
);
