/**
 * `postgresql` (alias `postgres`): stores each message as a row, in json,
 * relational or hybrid mode. One pg Pool per named connection. Rows are
 * written with `INSERT … ON CONFLICT`, so a redelivered message_id (or a
 * repeated upsert key) never adds a row. Data errors (SQLSTATE classes 22
 * and 23) are permanent; everything else (connection, locks, missing
 * table) is retryable.
 */
import { readFileSync } from "node:fs";
import pg from "pg";
import {
  type PostgresConnection,
  postgresConnectionSchema,
} from "../../config/connection-types.js";
import { errorCode } from "../../message/failure.js";
import type { ModuleBuildContext, ModuleDefinition } from "../../module-definition.js";
import { sharedClient } from "../../shared-connections.js";
import type { FieldType, TablePlan } from "./options.js";
import type { Row } from "./row.js";
import { type SqlDialect, type SqlErrorClass, sqlModuleDefinition } from "./sql-module.js";

const TYPES: Record<FieldType, string> = {
  string: "TEXT",
  text: "TEXT",
  integer: "BIGINT",
  int: "BIGINT",
  float: "DOUBLE PRECISION",
  number: "DOUBLE PRECISION",
  boolean: "BOOLEAN",
  bool: "BOOLEAN",
  datetime: "TIMESTAMPTZ",
  timestamp: "TIMESTAMPTZ",
  date: "DATE",
  time: "TIME",
  json: "JSONB",
};

/** SQLSTATEs of a concurrent CREATE … IF NOT EXISTS losing the race. */
const CONCURRENT_CREATE = new Set(["42P07", "23505", "42710"]);

/** Quotes a validated identifier. */
function q(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}

function defaultClause(value: string | number | boolean | undefined): string {
  if (value === undefined) return "";
  return ` DEFAULT ${typeof value === "boolean" ? (value ? "TRUE" : "FALSE") : String(value)}`;
}

/** CREATE TABLE / CREATE INDEX statements for `plan`. */
export function postgresDdl(plan: TablePlan): string[] {
  const keyIsMessageId = plan.conflictColumn === "message_id";
  const columns = [
    `message_id TEXT NOT NULL${keyIsMessageId ? " PRIMARY KEY" : ""}`,
    "webhook_id TEXT NOT NULL",
    "received_at TIMESTAMPTZ NOT NULL",
  ];
  if (plan.storesPayload) columns.push("payload JSONB", "body BYTEA");
  if (plan.includeHeaders) columns.push("headers JSONB");
  for (const field of plan.fields) {
    const key = field.column === plan.conflictColumn;
    columns.push(
      `${q(field.column)} ${TYPES[field.type]}${field.notNull || key ? " NOT NULL" : ""}${field.unique || key ? " UNIQUE" : ""}${defaultClause(field.defaultValue)}`,
    );
  }
  if (plan.upsertKeyColumn !== undefined)
    columns.push(`${q(plan.upsertKeyColumn.column)} TEXT NOT NULL UNIQUE`);
  columns.push("created_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP");
  const statements = [`CREATE TABLE IF NOT EXISTS ${q(plan.table)} (${columns.join(", ")})`];
  if (!keyIsMessageId) {
    statements.push(
      `CREATE INDEX IF NOT EXISTS ${q(`${plan.table}_message_id`)} ON ${q(plan.table)} (message_id)`,
    );
  }
  for (const [name, index] of Object.entries(plan.indexes)) {
    statements.push(
      `CREATE ${index.unique ? "UNIQUE " : ""}INDEX IF NOT EXISTS ${q(name)} ON ${q(plan.table)} (${index.columns.map(q).join(", ")})`,
    );
  }
  return statements;
}

/** The parameterised INSERT … ON CONFLICT for `row`. */
export function postgresInsert(plan: TablePlan, row: Row): { text: string; values: unknown[] } {
  const columns = row.map(([column]) => column);
  const placeholders = row.map(([column], i) => {
    if (column === "payload" || column === "headers") return `$${i + 1}::jsonb`;
    return `$${i + 1}`;
  });
  const key = plan.conflictColumn;
  const updates = columns.filter((c) => c !== key).map((c) => `${q(c)} = EXCLUDED.${q(c)}`);
  const conflict = key === "message_id" ? "DO NOTHING" : `DO UPDATE SET ${updates.join(", ")}`;
  return {
    text: `INSERT INTO ${q(plan.table)} (${columns.map(q).join(", ")}) VALUES (${placeholders.join(", ")}) ON CONFLICT (${q(key)}) ${conflict}`,
    values: row.map(([, value]) => value),
  };
}

/** Classifies a pg error by SQLSTATE. */
export function classifyPostgresError(error: unknown): SqlErrorClass {
  const code = errorCode(error);
  if (code === "42P01") return { retryable: true, missingTable: true };
  if (code !== undefined && /^[0-9A-Z]{5}$/.test(code) && /^2[23]/.test(code)) {
    return { retryable: false, missingTable: false };
  }
  return { retryable: true, missingTable: false };
}

function poolConfig(settings: PostgresConnection): pg.PoolConfig {
  const config: pg.PoolConfig = {
    max: settings.pool_max_size,
    min: settings.pool_min_size,
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
  };
  if (settings.connection_string !== undefined) {
    config.connectionString = settings.connection_string;
  } else {
    Object.assign(config, {
      host: settings.host,
      port: settings.port,
      database: settings.database,
      user: settings.user,
      ...(settings.password === undefined ? {} : { password: settings.password }),
    });
  }
  if (settings.ssl) {
    config.ssl = {
      rejectUnauthorized: true,
      ...(settings.ssl_ca_cert === undefined
        ? {}
        : { ca: readFileSync(settings.ssl_ca_cert, "utf8") }),
      ...(settings.ssl_cert === undefined ? {} : { cert: readFileSync(settings.ssl_cert, "utf8") }),
      ...(settings.ssl_key === undefined ? {} : { key: readFileSync(settings.ssl_key, "utf8") }),
    };
  }
  return config;
}

function postgresDialect(build: ModuleBuildContext): () => SqlDialect {
  const settings = postgresConnectionSchema.parse(build.connection!.settings);
  const pool = sharedClient(
    build,
    "postgresql",
    (reportError) => {
      const created = new pg.Pool(poolConfig(settings));
      created.on("error", (error) => reportError(error.message));
      return created;
    },
    (created) => created.end(),
  );
  return () => ({
    async ensureTable(table) {
      const client = await pool().connect();
      try {
        for (const statement of postgresDdl(table)) {
          try {
            await client.query(statement);
          } catch (error) {
            // Another module or connector created the same table or index concurrently.
            if (!CONCURRENT_CREATE.has(errorCode(error) ?? "")) throw error;
          }
        }
      } finally {
        client.release();
      }
    },
    async write(table, row) {
      await pool().query(postgresInsert(table, row));
    },
    classify: classifyPostgresError,
  });
}

/** Registry entry of `postgresql`. */
export const postgresqlModule: ModuleDefinition = sqlModuleDefinition(
  "postgresql",
  ["postgres"],
  postgresDialect,
);
