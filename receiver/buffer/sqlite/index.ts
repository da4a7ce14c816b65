/** The embedded SQLite buffer backend (the default, `sqlite:PATH`). */
export {
  createSqliteBuffer,
  type SqliteBuffer,
  type SqliteBufferEvent,
  type SqliteBufferOptions,
  type SqliteCommitEvent,
} from "./sqlite-buffer.js";
export { SCHEMA_VERSION } from "./worker/schema.js";
