/**
 * Helpers for the backend-specific outage tests (a broker behind a TCP
 * proxy that is taken down and brought back): the buffer's connection
 * events, and the check that every operation fails fast while it is away.
 */
import { expect } from "vitest";
import type { Buffer, ChannelSettings } from "../../receiver/buffer/buffer.js";
import { BufferUnavailableError } from "../../receiver/errors.js";
import { fetchRequest, publishMany } from "./buffer-context.js";

/** Records the types of a buffer's events; `next(type)` resolves on the next event of `type`. */
export function connectionEvents() {
  const events: string[] = [];
  const waiters = new Map<string, () => void>();
  return {
    events,
    onEvent: (event: { readonly type: string }) => {
      events.push(event.type);
      waiters.get(event.type)?.();
    },
    next: (type: string) => new Promise<void>((resolve) => waiters.set(type, resolve)),
  };
}

/** Publish, ping and fetch on `buffer` reject with BufferUnavailableError, all within a second. */
export async function expectUnavailableAtOnce(
  buffer: Buffer,
  channel: ChannelSettings,
): Promise<void> {
  const started = performance.now();
  await expect(publishMany(buffer, channel, 1)).rejects.toBeInstanceOf(BufferUnavailableError);
  await expect(buffer.ping()).rejects.toBeInstanceOf(BufferUnavailableError);
  await expect(buffer.fetch(fetchRequest(channel))).rejects.toBeInstanceOf(BufferUnavailableError);
  expect(performance.now() - started).toBeLessThan(1_000);
}
