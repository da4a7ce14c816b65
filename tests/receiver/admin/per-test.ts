/**
 * A receiver (and its consumers) that live for one test, closed when it
 * ends: the setup the admin API, status CLI and metrics tests share.
 */
import { onTestFinished } from "vitest";
import type { ReceiverOptions } from "../../../receiver/app.js";
import type { SqliteBuffer } from "../../../receiver/buffer/sqlite/index.js";
import { closeAfterTest } from "../../helpers/close-after-test.js";
import {
  freshSqlite,
  GrpcConsumer,
  type ReceiverUnderTest,
  removeDir,
  startUnderTest,
} from "./fixture.js";

/** A receiver for `document` on a fresh SQLite buffer in its own temp dir; receiver, buffer and dir go when the test ends. */
export async function startOnFreshSqlite(
  document: Record<string, unknown>,
  options: Omit<ReceiverOptions, "config" | "buffer" | "host" | "port"> = {},
): Promise<{ rx: ReceiverUnderTest; buffer: SqliteBuffer }> {
  const { buffer, dir } = freshSqlite();
  onTestFinished(() => removeDir(dir));
  closeAfterTest(buffer);
  const rx = await startUnderTest(document, buffer, options);
  closeAfterTest(rx.receiver);
  return { rx, buffer };
}

/** A gRPC consumer closed when the test ends, before the receiver it consumes from. */
export function consumerForTest(...args: ConstructorParameters<typeof GrpcConsumer>): GrpcConsumer {
  return closeAfterTest(new GrpcConsumer(...args));
}
