/** Turning the fetch script's reply into deliveries. */
import { withDeliveryFields } from "../../../wire/index.js";
import type { Delivery } from "../buffer.js";
import { LazyDelivery } from "../lazy-delivery.js";

/** What one run of the fetch script leased, and when the group's next retry is due. */
export interface FetchReply {
  readonly deliveries: Delivery[];
  /** Due time of the group's next scheduled retry (ms since epoch), or undefined. */
  readonly nextRetryAt: number | undefined;
}

/** Reads the fetch script's reply: {message id, attempt, bytes, entry id}… then the next due time. */
export function readFetchReply(reply: unknown, group: string, leaseExpiresAt: number): FetchReply {
  const flat = reply as (Buffer | number)[];
  const deliveries: Delivery[] = [];
  for (let index = 0; index + 3 < flat.length; index += 4) {
    const attempt = flat[index + 1] as number;
    const entryId = (flat[index + 3] as Buffer).toString();
    const sequence = Number(entryId.slice(0, entryId.indexOf("-")));
    deliveries.push(
      new LazyDelivery(
        (flat[index] as Buffer).toString(),
        attempt,
        withDeliveryFields(flat[index + 2] as Buffer, sequence, attempt),
        group,
        leaseExpiresAt,
      ),
    );
  }
  const next = flat[flat.length - 1] as number;
  return { deliveries, nextRetryAt: next >= 0 ? next : undefined };
}
