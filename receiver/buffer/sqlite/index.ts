/** The embedded SQLite buffer backend (the default, `sqlite:PATH`). */
export {
  type CommitInfo,
  createSqliteBuffer,
  type SqliteBuffer,
  type SqliteBufferEvents,
  type SqliteBufferOptions,
} from "./sqlite-buffer.js";
export { SCHEMA_VERSION } from "./worker/schema.js";
