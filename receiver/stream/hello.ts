/**
 * The Hello every transport turns its wire input into (the proto `Hello`
 * of the RPC calls and the WebSocket protobuf subprotocol, the query
 * string of the WebSocket JSON, SSE and long-poll endpoints), its
 * validation, and the one deadline for a Hello that has to arrive first.
 */
import type { Hello } from "../../gen/webhookconnect/v1/relay_pb.js";
import { NAME_PATTERN } from "../config/index.js";
import { WebhookConnectError } from "../errors.js";

/** How long a client may take to send its Hello once the stream is open. */
export const HELLO_TIMEOUT_MS = 10_000;

/** Longest connector id kept (it is shown in the admin API and in logs). */
export const MAX_CONNECTOR_ID_CHARS = 128;

/** What a client asks for when it attaches, whatever its transport. */
export type HelloFields = Pick<Hello, "channel" | "group" | "connectorId" | "maxInFlight">;

/** No Hello arrived within HELLO_TIMEOUT_MS. */
export class HelloTimeoutError extends WebhookConnectError {
  constructor() {
    super("WC_ERR_STREAM_PROTOCOL", "no Hello received in time");
    this.name = "HelloTimeoutError";
  }
}

/** `first` (the read of a stream's first message), or HelloTimeoutError after HELLO_TIMEOUT_MS. */
export async function withHelloTimeout<T>(first: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      first,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new HelloTimeoutError()), HELLO_TIMEOUT_MS);
        // A stream waiting for its Hello must not keep a stopping process alive.
        timer.unref();
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function protocolError(message: string): WebhookConnectError {
  return new WebhookConnectError("WC_ERR_STREAM_PROTOCOL", message);
}

/** The Hello itself; throws WC_ERR_STREAM_PROTOCOL when the first frame was something else. */
export function requireHello(hello: HelloFields | undefined): HelloFields {
  if (hello === undefined) throw protocolError("the first frame must be a Hello");
  return hello;
}

/**
 * The channel a Hello attaches to. `urlChannel` is the channel of the
 * endpoint's URL, where there is one (WebSocket): the Hello may then leave
 * its channel empty but not name another. Throws WC_ERR_STREAM_PROTOCOL.
 */
export function helloChannel(hello: HelloFields, urlChannel?: string): string {
  if (urlChannel === undefined) {
    if (hello.channel === "") throw protocolError("the Hello must name a channel");
    return hello.channel;
  }
  if (hello.channel !== "" && hello.channel !== urlChannel) {
    throw protocolError("the Hello names another channel than the URL");
  }
  return urlChannel;
}

/**
 * The session options of a Hello, checked: `group` a valid name (or empty
 * for the default group), `maxInFlight` a non-negative integer (0: the
 * channel's maximum), the connector id cut to MAX_CONNECTOR_ID_CHARS.
 * Throws WC_ERR_STREAM_PROTOCOL.
 */
export function helloOptions(hello: HelloFields): Omit<HelloFields, "channel"> {
  if (hello.group !== "" && !NAME_PATTERN.test(hello.group)) {
    throw protocolError(`group must match ${NAME_PATTERN.source}`);
  }
  if (!Number.isInteger(hello.maxInFlight) || hello.maxInFlight < 0) {
    throw protocolError("max_in_flight must be a non-negative integer");
  }
  return {
    group: hello.group,
    connectorId: hello.connectorId.slice(0, MAX_CONNECTOR_ID_CHARS),
    maxInFlight: hello.maxInFlight,
  };
}
