/**
 * `mysql` (alias `mariadb`): stores each message as a row, in json,
 * relational or hybrid mode, through one mysql2 pool per named connection.
 * `INSERT … ON DUPLICATE KEY UPDATE` keeps redeliveries from adding rows.
 * Errors about the data of this message are permanent; connection, lock
 * and table errors are retryable.
 */
import mysql from "mysql2/promise";
import { type MysqlConnection, mysqlConnectionSchema } from "../../config/connection-types.js";
import { errorCode, isNetworkError } from "../../message/failure.js";
import type { ModuleBuildContext, ModuleDefinition } from "../../module-definition.js";
import { sharedClient } from "../../shared-connections.js";
import type { FieldType, TablePlan } from "./options.js";
import type { Row, SqlValue } from "./row.js";
import { type SqlDialect, type SqlErrorClass, sqlModuleDefinition } from "./sql-module.js";

const TYPES: Record<FieldType, string> = {
  string: "VARCHAR(255)",
  text: "TEXT",
  integer: "BIGINT",
  int: "BIGINT",
  float: "DOUBLE",
  number: "DOUBLE",
  boolean: "BOOLEAN",
  bool: "BOOLEAN",
  datetime: "DATETIME(3)",
  timestamp: "DATETIME(3)",
  date: "DATE",
  time: "TIME",
  json: "JSON",
};

/** Errors caused by the values of this message: retrying cannot help. */
const DATA_ERRORS = new Set([
  "ER_DUP_ENTRY",
  "ER_BAD_NULL_ERROR",
  "ER_DATA_TOO_LONG",
  "ER_TRUNCATED_WRONG_VALUE",
  "ER_TRUNCATED_WRONG_VALUE_FOR_FIELD",
  "ER_WARN_DATA_OUT_OF_RANGE",
  "ER_INVALID_JSON_TEXT",
  "ER_WRONG_VALUE",
  "ER_CONSTRAINT_FAILED",
  "ER_CHECK_CONSTRAINT_VIOLATED",
  "WARN_DATA_TRUNCATED",
]);

function q(identifier: string): string {
  return `\`${identifier.replaceAll("`", "``")}\``;
}

function defaultClause(value: string | number | boolean | undefined, type: FieldType): string {
  if (value === undefined) return "";
  if (value === "CURRENT_TIMESTAMP" && (type === "datetime" || type === "timestamp")) {
    return " DEFAULT CURRENT_TIMESTAMP(3)";
  }
  return ` DEFAULT ${typeof value === "boolean" ? (value ? "TRUE" : "FALSE") : String(value)}`;
}

/** CREATE TABLE statement (indexes inline) for `plan`. */
export function mysqlDdl(plan: TablePlan): string {
  const keyIsMessageId = plan.conflictColumn === "message_id";
  const columns = [
    `message_id VARCHAR(255) NOT NULL${keyIsMessageId ? " PRIMARY KEY" : ""}`,
    "webhook_id VARCHAR(255) NOT NULL",
    "received_at DATETIME(3) NOT NULL",
  ];
  if (plan.storesPayload) columns.push("payload JSON NULL", "body LONGBLOB NULL");
  if (plan.includeHeaders) columns.push("headers JSON NULL");
  for (const field of plan.fields) {
    const key = field.column === plan.conflictColumn;
    const type = key && field.type === "text" ? "VARCHAR(255)" : TYPES[field.type];
    columns.push(
      `${q(field.column)} ${type}${field.notNull || key ? " NOT NULL" : " NULL"}${field.unique || key ? " UNIQUE" : ""}${defaultClause(field.defaultValue, field.type)}`,
    );
  }
  if (plan.upsertKeyColumn !== undefined) {
    columns.push(`${q(plan.upsertKeyColumn.column)} VARCHAR(255) NOT NULL UNIQUE`);
  }
  columns.push("created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)");
  if (!keyIsMessageId) columns.push("INDEX idx_message_id (message_id)");
  for (const [name, index] of Object.entries(plan.indexes)) {
    columns.push(
      `${index.unique ? "UNIQUE " : ""}INDEX ${q(name)} (${index.columns.map(q).join(", ")})`,
    );
  }
  return `CREATE TABLE IF NOT EXISTS ${q(plan.table)} (${columns.join(", ")}) DEFAULT CHARSET=utf8mb4`;
}

/** The parameterised INSERT … ON DUPLICATE KEY UPDATE for `row`. */
export function mysqlInsert(plan: TablePlan, row: Row): { sql: string; values: SqlValue[] } {
  const columns = row.map(([column]) => column);
  const key = plan.conflictColumn;
  const updates =
    key === "message_id"
      ? ["message_id = message_id"]
      : columns.filter((c) => c !== key).map((c) => `${q(c)} = VALUES(${q(c)})`);
  return {
    sql: `INSERT INTO ${q(plan.table)} (${columns.map(q).join(", ")}) VALUES (${columns.map(() => "?").join(", ")}) ON DUPLICATE KEY UPDATE ${updates.join(", ")}`,
    values: row.map(([, value]) => value),
  };
}

/** Classifies a mysql2 error. */
export function classifyMysqlError(error: unknown): SqlErrorClass {
  const code = errorCode(error);
  if (code === "ER_NO_SUCH_TABLE") return { retryable: true, missingTable: true };
  if (isNetworkError(error) || (error as { fatal?: unknown }).fatal === true) {
    return { retryable: true, missingTable: false };
  }
  return { retryable: code === undefined || !DATA_ERRORS.has(code), missingTable: false };
}

function poolOptions(settings: MysqlConnection): mysql.PoolOptions {
  const common: mysql.PoolOptions = {
    connectionLimit: settings.pool_max_size ?? settings.pool_size,
    timezone: "Z",
    connectTimeout: 10_000,
    supportBigNumbers: true,
    bigNumberStrings: true,
  };
  if (settings.connection_string !== undefined)
    return { ...common, uri: settings.connection_string };
  return {
    ...common,
    host: settings.host,
    port: settings.port,
    database: settings.database,
    user: settings.user,
    ...(settings.password === undefined ? {} : { password: settings.password }),
    ...(settings.ssl ? { ssl: { rejectUnauthorized: true } } : {}),
  };
}

function mysqlDialect(build: ModuleBuildContext): () => SqlDialect {
  const settings = mysqlConnectionSchema.parse(build.connection!.settings);
  const pool = sharedClient(
    build,
    "mysql",
    () => mysql.createPool(poolOptions(settings)),
    (created) => created.end(),
  );
  return () => ({
    async ensureTable(table) {
      await pool().query(mysqlDdl(table));
    },
    async write(table, row) {
      const { sql, values } = mysqlInsert(table, row);
      await pool().execute(sql, values);
    },
    classify: classifyMysqlError,
  });
}

/** Registry entry of `mysql`. */
export const mysqlModule: ModuleDefinition = sqlModuleDefinition(
  "mysql",
  ["mariadb"],
  mysqlDialect,
);
