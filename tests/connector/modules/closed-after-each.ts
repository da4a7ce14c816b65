/**
 * Per-test clean-up for the module tests that start their own HTTP
 * targets and deliverers: everything is closed, newest first, after each
 * test of the file.
 */
import type { ServerResponse } from "node:http";
import { afterEach } from "vitest";
import {
  startTargetServer,
  type TargetHandler,
  type TargetServer,
} from "../helpers/target-server.js";

const cleanups: Array<() => Promise<void>> = [];

/** Registers the file's afterEach that runs the clean-ups; call once at the top of a test file. */
export function closeAfterEach(): void {
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
}

/** Runs `cleanup` after the current test, before those registered earlier. */
export function closeLater(cleanup: () => Promise<void>): void {
  cleanups.push(cleanup);
}

/** A recording target server answering with `handler`, closed after the current test. */
export async function server(handler: TargetHandler): Promise<TargetServer> {
  const started = await startTargetServer(handler);
  closeLater(() => started.close());
  return started;
}

/** A handler answering `status` with `headers` and no body. */
export function answer(status: number, headers: Record<string, string> = {}) {
  return (_req: unknown, res: ServerResponse) => {
    res.writeHead(status, headers).end();
  };
}
