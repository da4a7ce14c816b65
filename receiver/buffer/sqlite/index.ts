/** The embedded SQLite buffer backend (the default, `sqlite:PATH`). */
export type { CommitInfo } from "./batch.js";
export { SCHEMA_VERSION } from "./schema.js";
export {
  createSqliteBuffer,
  type SqliteBuffer,
  type SqliteBufferEvents,
  type SqliteBufferOptions,
} from "./sqlite-buffer.js";
