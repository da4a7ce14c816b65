/** The ingest test server on its usual store: a fresh in-memory SQLite buffer, closed after the test. */
import type { AddressRange } from "../../../receiver/auth/index.js";
import type { CreateVerifiers } from "../../../receiver/auth/verifier.js";
import type { Buffer as MessageBuffer } from "../../../receiver/buffer/buffer.js";
import type { SqliteBuffer } from "../../../receiver/buffer/sqlite/index.js";
import { closeAfterTest } from "../../helpers/close-after-test.js";
import { sqliteBufferFor } from "./buffers.js";
import { configOf, type IngestServer, startIngestServer } from "./harness.js";

/** What startOnSqlite hands to startIngestServer besides config and buffer. */
export interface OnSqliteOptions {
  /** What the handler stores through, made from the SQLite buffer (e.g. `withPublish`); default the buffer itself. */
  readonly through?: (buffer: SqliteBuffer) => MessageBuffer;
  readonly createVerifiers?: CreateVerifiers;
  readonly trustedProxies?: readonly AddressRange[];
}

/** A running ingest server and the SQLite buffer it stores into. */
export interface IngestOnSqlite {
  readonly server: IngestServer;
  readonly buffer: SqliteBuffer;
}

/**
 * Starts an ingest server for `document` on a fresh in-memory SQLite buffer
 * and closes both when the test ends (server first): the start every
 * ingest test file shares.
 */
export async function startOnSqlite(
  document: Record<string, unknown>,
  options: OnSqliteOptions = {},
): Promise<IngestOnSqlite> {
  const { through, ...rest } = options;
  const config = configOf(document);
  const buffer = closeAfterTest(await sqliteBufferFor(config));
  const server = closeAfterTest(
    await startIngestServer({ ...rest, config, buffer: through?.(buffer) ?? buffer }),
  );
  return { server, buffer };
}
