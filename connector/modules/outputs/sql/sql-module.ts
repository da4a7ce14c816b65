/**
 * The part of the SQL modules that does not depend on the database: table
 * creation once per module (again after the table vanished), row building,
 * and turning driver errors into retry decisions.
 */
import type { WebhookMessage } from "../../../../gen/webhookconnect/v1/message_pb.js";
import { describeError } from "../../message/failure.js";
import type { ModuleBuildContext, ModuleDefinition } from "../../module-definition.js";
import { ModuleDeliveryError, type OutputModule } from "../../output-module.js";
import { planTable, type TablePlan } from "./options.js";
import { type Row, rowFor } from "./row.js";

/** How a driver error should be treated. */
export interface SqlErrorClass {
  /** Whether a later attempt may succeed. */
  readonly retryable: boolean;
  /** The table does not exist (create it again before the next attempt). */
  readonly missingTable: boolean;
}

/** The database-specific half of a SQL module. */
export interface SqlDialect {
  /** Creates the table and indexes if missing. */
  ensureTable(plan: TablePlan): Promise<void>;
  /** Inserts (or upserts) one row. */
  write(plan: TablePlan, row: Row): Promise<void>;
  /** Classifies a driver error. */
  classify(error: unknown): SqlErrorClass;
}

/**
 * The registry entry of a SQL module: it takes its own connection type and
 * requires one; `dialectFor` makes the database half from the entry (after
 * its module-config was planned, so config errors come first).
 */
export function sqlModuleDefinition(
  name: "postgresql" | "mysql",
  aliases: readonly string[],
  dialectFor: (build: ModuleBuildContext) => () => SqlDialect,
): ModuleDefinition {
  return {
    name,
    aliases,
    connectionTypes: [name],
    connectionRequired: true,
    create: (build) =>
      createSqlModule(
        name,
        planTable(build.context.moduleConfig, build.location),
        build.context.dataType,
        dialectFor(build),
      ),
  };
}

/** Creates an OutputModule around a dialect. */
function createSqlModule(
  name: string,
  plan: TablePlan,
  dataType: "json" | "blob",
  dialect: () => SqlDialect,
): OutputModule {
  let tableReady: Promise<void> | undefined;
  let driver: SqlDialect | undefined;

  return {
    name,
    async deliver(message: WebhookMessage) {
      const row = rowFor(message, dataType, plan);
      driver ??= dialect();
      const db = driver;
      try {
        if (plan.autoCreate) {
          tableReady ??= db.ensureTable(plan).catch((error: unknown) => {
            tableReady = undefined;
            throw error;
          });
          await tableReady;
        }
        await db.write(plan, row);
      } catch (error) {
        const kind = db.classify(error);
        // The table was dropped since it was created: create it again next time.
        if (kind.missingTable) tableReady = undefined;
        throw new ModuleDeliveryError(`${name}: ${describeError(error)}`, {
          retryable: kind.retryable,
          cause: error,
        });
      }
    },
    async close() {},
  };
}
