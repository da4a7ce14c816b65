/** Query string of the plain-HTTP stream endpoints, built from the Hello. */
import type { SessionHello } from "./transport.js";

/** `group`, `connector_id` and `max_in_flight` of a Hello, plus extras. */
export function streamQuery(hello: SessionHello, extra: Record<string, string> = {}): string {
  const query = new URLSearchParams();
  if (hello.group !== "") query.set("group", hello.group);
  query.set("connector_id", hello.connectorId);
  query.set("max_in_flight", String(hello.maxInFlight));
  for (const [name, value] of Object.entries(extra)) query.set(name, value);
  return query.toString();
}

/** Path of a channel's stream endpoint. */
export function streamPath(channel: string, suffix = ""): string {
  return `/connect/stream/${encodeURIComponent(channel)}${suffix}`;
}
