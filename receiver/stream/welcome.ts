/** The Welcome frame of a session, shared by the RPC and WebSocket transports. */
import { create } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { type Welcome, WelcomeSchema } from "../../gen/webhookconnect/v1/relay_pb.js";
import type { Session } from "./session.js";
import type { StreamContext } from "./stream-context.js";

/** Builds the Welcome of `session`. */
export function welcomeOf(context: StreamContext, session: Session): Welcome {
  const channel = context.registry.get(session.info.channel);
  return create(WelcomeSchema, {
    connectionId: session.info.id,
    channel: session.info.channel,
    group: session.info.group,
    maxInFlight: session.info.maxInFlight,
    heartbeatInterval: durationFromMs(context.heartbeatIntervalMs),
    ackTimeout: durationFromMs((channel?.settings.ackTimeoutSeconds ?? 30) * 1000),
  });
}
