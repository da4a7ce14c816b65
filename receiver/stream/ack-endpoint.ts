/**
 * `POST /connect/ack`: acks and nacks for the SSE and long-poll transports
 * (and any client that prefers plain HTTP). The token is checked before
 * anything about connections is revealed; acks are honoured by message id
 * even when the connection that received the message is gone.
 */

import { bearerToken } from "../channels/index.js";
import { WebhookConnectError } from "../errors.js";
import type { AnyRequest, AnyResponse } from "../server/index.js";
import { sendJson } from "../server/index.js";
import { type AckRequestBody, parseAckBody, parseAckQuery } from "./ack-request.js";
import {
  authorizationOf,
  type ConnectEndpointOptions,
  originOfRequest,
} from "./connect-request.js";
import { parseClientJson } from "./json-frames.js";
import { connectionIdOf } from "./poll-endpoint.js";
import { settlerFor } from "./settle.js";
import type { SettleResult } from "./settle-message.js";
import {
  authorizeChannelFresh,
  type StreamContext,
  sendStreamError,
  validForSomeChannel,
} from "./stream-context.js";

/** Largest ack request body. */
const MAX_ACK_BODY_BYTES = 1 << 20;

async function readBody(req: AnyRequest): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_ACK_BODY_BYTES) {
        throw new WebhookConnectError("WC_ERR_INGEST_TOO_LARGE", "ack request body over 1 MiB");
      }
      chunks.push(chunk);
    }
  } catch (error) {
    if (error instanceof WebhookConnectError) throw error;
    // The client went away mid-body (or broke the framing): its fault, not an internal error.
    throw new WebhookConnectError("WC_ERR_STREAM_PROTOCOL", "the request body was cut off", {
      cause: error,
    });
  }
  return Buffer.concat(chunks);
}

function unauthenticated(): WebhookConnectError {
  return new WebhookConnectError(
    "WC_ERR_STREAM_UNAUTHENTICATED",
    "missing or invalid channel token (send Authorization: Bearer <channel_token>)",
  );
}

async function parseRequest(req: AnyRequest, query: URLSearchParams): Promise<AckRequestBody> {
  const body = await readBody(req);
  if (body.length === 0) return parseAckQuery(query);
  const parsed = parseClientJson(body);
  if ("invalid" in parsed) {
    throw new WebhookConnectError("WC_ERR_STREAM_PROTOCOL", `the body is ${parsed.invalid}`);
  }
  return parseAckBody(parsed.value);
}

/** Serves one ack request. */
export async function serveAck(
  context: StreamContext,
  req: AnyRequest,
  res: AnyResponse,
  query: URLSearchParams,
  options: ConnectEndpointOptions,
): Promise<void> {
  try {
    const authorization = authorizationOf(req.headers, query, options);
    const origin = originOfRequest(req);
    const parsed = await parseRequest(req, query);
    const connectionId = connectionIdOf(req, query) || parsed.connectionId || "";
    let channel = parsed.channel ?? query.get("channel") ?? undefined;
    if (channel === undefined || channel === "") {
      // Nothing about connections is looked up for a request without a valid token.
      if (!(await validForSomeChannel(context, bearerToken(authorization), origin)))
        throw unauthenticated();
      channel = connectionId === "" ? undefined : context.registry.find(connectionId)?.info.channel;
      if (channel === undefined) {
        throw new WebhookConnectError(
          "WC_ERR_STREAM_UNKNOWN_CONNECTION",
          "the connection is gone; name the channel (`channel`) to ack by message id",
        );
      }
    }
    await authorizeChannelFresh(context, channel, authorization, origin);
    const settler = settlerFor(context, {
      channel,
      connectionId,
      group: parsed.group ?? query.get("group") ?? undefined,
    });
    const results: SettleResult[] = [];
    for (const frame of parsed.frames) {
      if (frame.kind === "ack") {
        for (const id of frame.messageIds) results.push(await settler.ack(id));
        continue;
      }
      results.push(
        await settler.nack(frame.messageId, {
          retry: frame.retry,
          reason: frame.reason,
          ...(frame.delayMs === undefined ? {} : { delayMs: frame.delayMs }),
        }),
      );
    }
    const body = results.map((r) => ({
      message_id: r.messageId,
      ok: r.ok,
      outcome: r.outcome,
      ...(r.error === undefined ? {} : { error: r.error }),
    }));
    const failed = results.filter((r) => !r.ok);
    if (failed.length === 0) {
      sendJson(res, 200, { status: "ok", results: body });
      return;
    }
    sendJson(res, failed.some((r) => r.outcome === "error") ? 503 : 409, {
      error: failed.some((r) => r.outcome === "error") ? "buffer_unavailable" : "not_leased",
      message: `${failed.length} of ${results.length} acks/nacks were not applied`,
      results: body,
    });
  } catch (error) {
    sendStreamError(res, error);
  }
}
