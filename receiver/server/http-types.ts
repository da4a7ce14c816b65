/**
 * The request and response every handler takes: the listener serves
 * HTTP/1.1 (node:http) and HTTP/2 (node:http2's compatibility API) on one
 * port, and handlers answer both through the members the two share.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";

/** A request of either HTTP version. */
export type AnyRequest = IncomingMessage | Http2ServerRequest;

/** A response of either HTTP version. */
export type AnyResponse = ServerResponse | Http2ServerResponse;
