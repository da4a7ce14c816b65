/**
 * `module-config` shared by the SQL modules (`postgresql`, `mysql`) and
 * the table plan derived from it. Storage modes as in the seed: `json`
 * (the whole payload in a JSON column), `relational` (mapped fields in
 * their own columns) and `hybrid` (both). Every row carries the relay
 * metadata (message_id, webhook_id, received_at); message_id is the
 * primary key unless `upsert` names a business key, so a redelivery never
 * adds a row.
 */
import { z } from "zod";
import {
  type ConfigLocation,
  childLocation,
  configError,
  parseConfig,
} from "../../config/parse.js";
import { boolLike, numberLike } from "../../config/values.js";

const identifier = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, "expected an identifier: letters, digits, _ (max 63)");
const fieldPath = z
  .string()
  .regex(/^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*$/, "expected a field name or dotted path");

/** Field types of relational columns. */
export const fieldTypes = [
  "string",
  "text",
  "integer",
  "int",
  "float",
  "number",
  "boolean",
  "bool",
  "datetime",
  "timestamp",
  "date",
  "time",
  "json",
] as const;
/** A field type. */
export type FieldType = (typeof fieldTypes)[number];

const fieldSchema = z.strictObject({
  /** Column name. @default the field name (when it is an identifier) */
  column: identifier.optional(),
  /** @default "string" */
  type: z.enum(fieldTypes).default("string"),
  /** Only `NOT NULL` and `UNIQUE`. @default [] */
  constraints: z.array(z.enum(["NOT NULL", "UNIQUE"])).default([]),
  /** Column default: `CURRENT_TIMESTAMP`, `NULL`, a boolean or a number. */
  default: z.union([z.enum(["CURRENT_TIMESTAMP", "NULL"]), z.boolean(), numberLike]).optional(),
});

/** The SQL modules' `module-config`. */
export const sqlOptionsSchema = z.strictObject({
  /** @default "webhook_events" */
  table: identifier.default("webhook_events"),
  /** `json`, `relational` or `hybrid`. @default "json" */
  storage_mode: z.enum(["json", "relational", "hybrid"]).default("json"),
  /** Update the row that has the same `upsert_key` instead of inserting. @default false */
  upsert: boolLike.default(false),
  /** Payload field (json mode) or schema field (relational/hybrid) identifying a row. */
  upsert_key: fieldPath.optional(),
  /** Store the request headers in a JSON column. @default true */
  include_headers: boolLike.default(true),
  /** Accepted for compatibility: received_at is always stored. @default true */
  include_timestamp: boolLike.default(true),
  /** Create the table (and indexes) when missing. @default true */
  auto_create_table: boolLike.default(true),
  /** Field mapping for relational and hybrid modes. */
  schema: z
    .strictObject({
      fields: z.record(fieldPath, fieldSchema),
      indexes: z
        .record(
          identifier,
          z.strictObject({ columns: z.array(identifier).min(1), unique: boolLike.default(false) }),
        )
        .default({}),
    })
    .optional(),
});
/** Parsed SQL options. */
export type SqlOptions = z.output<typeof sqlOptionsSchema>;

/** One mapped column. */
export interface PlannedField {
  /** Path into the payload. */
  readonly path: readonly string[];
  readonly column: string;
  readonly type: FieldType;
  readonly notNull: boolean;
  readonly unique: boolean;
  readonly defaultValue: string | number | boolean | undefined;
}

/** Everything a dialect needs to create the table and write rows. */
export interface TablePlan {
  readonly table: string;
  readonly mode: SqlOptions["storage_mode"];
  /** Mapped columns (relational and hybrid). */
  readonly fields: readonly PlannedField[];
  /** Store payload/body columns (json and hybrid). */
  readonly storesPayload: boolean;
  readonly includeHeaders: boolean;
  /** Conflict target: `message_id`, or the upsert column. */
  readonly conflictColumn: string;
  /** In json mode with upsert: the extra key column and its payload path. */
  readonly upsertKeyColumn:
    | { readonly column: string; readonly path: readonly string[] }
    | undefined;
  readonly indexes: Readonly<
    Record<string, { readonly columns: readonly string[]; readonly unique: boolean }>
  >;
  readonly autoCreate: boolean;
}

/** Column names every table has; mapped fields may not reuse them. */
export const RESERVED_COLUMNS = new Set([
  "message_id",
  "webhook_id",
  "received_at",
  "payload",
  "body",
  "headers",
  "created_at",
]);

/** Validates `module-config` and derives the table plan; throws ConfigError. */
export function planTable(raw: unknown, location: ConfigLocation): TablePlan {
  const options = parseConfig(sqlOptionsSchema, raw, location);
  const at = (key: string) => childLocation(location, key);
  const fields: PlannedField[] = [];
  const mapped = options.storage_mode !== "json";
  if (mapped) {
    const entries = Object.entries(options.schema?.fields ?? {});
    if (entries.length === 0) {
      configError(at("schema"), `storage_mode '${options.storage_mode}' needs schema.fields`);
    }
    for (const [name, field] of entries) {
      const column = field.column ?? name;
      const fieldAt = childLocation(childLocation(at("schema"), "fields"), name);
      if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(column)) {
        configError(fieldAt, "needs a 'column' (the field name is not an identifier)");
      }
      if (RESERVED_COLUMNS.has(column.toLowerCase())) {
        configError(fieldAt, `column '${column}' is reserved for relay metadata`);
      }
      if (fields.some((f) => f.column === column))
        configError(fieldAt, `duplicate column '${column}'`);
      fields.push({
        path: name.split("."),
        column,
        type: field.type,
        notNull: field.constraints.includes("NOT NULL"),
        unique: field.constraints.includes("UNIQUE"),
        defaultValue: field.default,
      });
    }
  }
  let conflictColumn = "message_id";
  let upsertKeyColumn: TablePlan["upsertKeyColumn"];
  if (options.upsert) {
    const key = options.upsert_key;
    if (key === undefined) configError(at("upsert_key"), "required when upsert is true");
    if (mapped) {
      const field = fields.find((f) => f.path.join(".") === key || f.column === key);
      if (field === undefined) configError(at("upsert_key"), `'${key}' is not a schema field`);
      conflictColumn = field.column;
    } else {
      const column = key.replace(/[^A-Za-z0-9_]/g, "_");
      if (!/^[A-Za-z_]/.test(column) || RESERVED_COLUMNS.has(column.toLowerCase())) {
        configError(at("upsert_key"), `'${key}' cannot be used as a column name`);
      }
      upsertKeyColumn = { column, path: key.split(".") };
      conflictColumn = column;
    }
  }
  const known = new Set([...RESERVED_COLUMNS, ...fields.map((f) => f.column)]);
  const indexes = options.schema?.indexes ?? {};
  for (const [name, index] of Object.entries(indexes)) {
    for (const column of index.columns) {
      if (!known.has(column)) {
        configError(
          childLocation(childLocation(at("schema"), "indexes"), name),
          `unknown column '${column}'`,
        );
      }
    }
  }
  return {
    table: options.table,
    mode: options.storage_mode,
    fields,
    storesPayload: options.storage_mode !== "relational",
    includeHeaders: options.include_headers && options.storage_mode !== "relational",
    conflictColumn,
    upsertKeyColumn,
    indexes,
    autoCreate: options.auto_create_table,
  };
}
