/**
 * Leasing messages for a fetch. Unordered groups take whatever is ready
 * (up to `max`) with `basic.get`; when nothing was, the fetch waits on the
 * group reader's consumer for up to the rest of `waitMs`, and once the
 * first message arrives it adds whatever else is ready — so a long-poll
 * returns as soon as the first message exists.
 *
 * Ordered groups have at most one message in flight in this process: a
 * fetch waits while a lease is out, and a message waiting for its retry is
 * delivered again (to whoever fetches) once its delay passed, before
 * anything behind it.
 */
import type { Delivery, FetchRequest } from "../buffer.js";
import {
  type ChannelState,
  type GroupState,
  notifyChanged,
  type RabbitMqContext,
} from "./context.js";
import { leaseDelivery } from "./settle.js";

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
  const drain = async () => {
    while (out.length < max) {
      const got = await group.reader.get();
      if (got === undefined) return;
      const delivery = await leaseDelivery(ctx, state, group, got, request.consumerId);
      if (delivery !== undefined) out.push(delivery);
    }
  };
  const aborted = () => request.signal?.aborted === true;
  await drain();
  while (out.length === 0 && !aborted() && performance.now() < deadline) {
    const got = await group.reader.wait(deadline, request.signal);
    if (got === undefined) {
      // Timed out, aborted, or the reader's channel was replaced: look again.
      if (performance.now() < deadline && !aborted()) await drain();
      continue;
    }
    const delivery = await leaseDelivery(ctx, state, group, got, request.consumerId);
    if (delivery !== undefined) out.push(delivery);
    if (out.length > 0) await drain();
  }
  return out;
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
  const channel = state.settings.name;
  for (;;) {
    if (request.signal?.aborted === true) return [];
    const remaining = deadline - performance.now();
    const busy = group.taking || ctx.leases.of(channel, group.name).length > 0;
    if (!busy) {
      const held = group.held;
      if (held !== undefined) {
        if (!group.reader.isCurrent(held.readerGeneration)) {
          group.held = undefined;
          continue;
        }
        const due = held.notBefore - ctx.now();
        if (due <= 0) {
          group.held = undefined;
          const got = { message: held.message, generation: held.readerGeneration };
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
      group.taking = true;
      let delivery: Delivery | undefined;
      let got: Awaited<ReturnType<typeof group.reader.get>>;
      try {
        got = await group.reader.get();
        if (got === undefined && remaining > 0) {
          got = await group.reader.wait(deadline, request.signal);
        }
        if (got !== undefined) {
          delivery = await leaseDelivery(ctx, state, group, got, request.consumerId);
        }
      } finally {
        group.taking = false;
        notifyChanged(group);
      }
      if (delivery !== undefined) return [delivery];
      if (got === undefined && performance.now() >= deadline) return [];
      continue;
    }
    if (remaining <= 0) return [];
    await changed(group, remaining, request.signal);
  }
}
