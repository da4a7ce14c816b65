/**
 * Leasing messages for a fetch. Unordered groups take up to `max` from the
 * group reader (waiting up to `waitMs` for a first one, then collecting
 * whatever else is ready — so a long-poll returns as soon as the first
 * message exists).
 *
 * Ordered groups read with a prefetch of 1, so the broker never hands
 * this process a second message while one is leased or waits here for its
 * retry; a message waiting for its retry is delivered again (to whoever
 * fetches) once its delay passed, before anything behind it.
 */
import type { Delivery, FetchRequest } from "../buffer.js";
import type { ChannelState, GroupState, RabbitMqContext } from "./context.js";
import { leaseDelivery } from "./lease-delivery.js";

/** Leases up to `request.max` messages of an existing group. */
export async function fetchDeliveries(
  ctx: RabbitMqContext,
  state: ChannelState,
  group: GroupState,
  request: FetchRequest,
): Promise<Delivery[]> {
  const deadline = performance.now() + Math.max(0, request.waitMs);
  if (state.settings.ordered) return fetchOrdered(ctx, state, group, request, deadline);
  const max = Math.max(1, Math.floor(request.max));
  const out: Delivery[] = [];
  for (;;) {
    const taken = await group.reader.take(max - out.length, deadline, request.signal);
    for (const got of taken) {
      const delivery = await leaseDelivery(ctx, state, group, got, request.consumerId);
      if (delivery !== undefined) out.push(delivery);
    }
    // All taken were expired or dead-lettered: wait on for a usable one.
    if (out.length > 0 || taken.length === 0) return out;
    if (request.signal?.aborted === true) return out;
  }
}

/** Resolves when the group changes, `ms` passed, or `signal` aborts. */
function changed(group: GroupState, ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      group.changed.delete(done);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, ms));
    group.changed.add(done);
    signal?.addEventListener("abort", done, { once: true });
  });
}

async function fetchOrdered(
  ctx: RabbitMqContext,
  state: ChannelState,
  group: GroupState,
  request: FetchRequest,
  deadline: number,
): Promise<Delivery[]> {
  const aborted = () => request.signal?.aborted === true;
  for (;;) {
    if (aborted()) return [];
    const remaining = deadline - performance.now();
    const held = group.held;
    if (held !== undefined) {
      if (!group.reader.isCurrent(held.readerGeneration)) {
        group.held = undefined;
        continue;
      }
      const due = held.notBefore - ctx.now();
      if (due <= 0) {
        group.held = undefined;
        const got = {
          message: held.message,
          generation: held.readerGeneration,
          consumer: held.consumer,
        };
        const delivery = await leaseDelivery(
          ctx,
          state,
          group,
          got,
          request.consumerId,
          held.attempts + 1,
        );
        if (delivery !== undefined) return [delivery];
        continue;
      }
      if (remaining <= 0) return [];
      await changed(group, Math.min(due, remaining), request.signal);
      continue;
    }
    // Wakes on a delivery; a retry nack of the lease in flight sets `held`
    // and wakes `changed` instead, so wait for whichever comes first.
    const controller = new AbortController();
    const stop = () => controller.abort();
    request.signal?.addEventListener("abort", stop, { once: true });
    group.changed.add(stop);
    let taken: Awaited<ReturnType<typeof group.reader.take>>;
    try {
      taken = await group.reader.take(1, deadline, controller.signal);
    } finally {
      group.changed.delete(stop);
      request.signal?.removeEventListener("abort", stop);
    }
    const got = taken[0];
    if (got !== undefined) {
      const delivery = await leaseDelivery(ctx, state, group, got, request.consumerId);
      if (delivery !== undefined) return [delivery];
      continue;
    }
    if (aborted() || !controller.signal.aborted) return [];
  }
}
