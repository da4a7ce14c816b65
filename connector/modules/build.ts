/**
 * Turns validated entries into runnable deliveries: looks modules up in the
 * registry, resolves and type-checks named connections, and creates each
 * module (which validates its `module-config`).
 */
import type { WebhookMessage } from "../../gen/webhookconnect/v1/message_pb.js";
import type { DeliveryOutcome } from "../delivery/index.js";
import { type ChainItem, createChainRunner } from "./chain/chain.js";
import type { CompletionRecord } from "./chain/completion-record.js";
import type { LoadedConnection, ModuleModeConfig } from "./config/load.js";
import { type ConfigLocation, childLocation, configError, formatLocation } from "./config/parse.js";
import { chainConfigSchema, type WebhookEntry } from "./config/webhooks-schema.js";
import type { ModuleEventSink } from "./events.js";
import { ACK, abortable, failureOutcome } from "./outcome.js";
import type { OutputModule } from "./output-module.js";
import { findModule, moduleNames } from "./registry.js";
import type { SharedConnections } from "./shared-connections.js";

/** Delivers a message for one webhook entry. */
export type EntryRunner = (
  message: WebhookMessage,
  signal: AbortSignal,
) => Promise<DeliveryOutcome>;

/** What building needs besides the config. */
export interface BuildEnvironment {
  readonly config: ModuleModeConfig;
  readonly shared: SharedConnections;
  readonly record: CompletionRecord;
  readonly stdout: NodeJS.WritableStream;
  readonly emit: ModuleEventSink;
  /** Randomness of the chain retries' backoff jitter. @default Math.random */
  readonly random?: (() => number) | undefined;
}

/** The runners plus every module created, so they can be closed. */
export interface BuiltEntries {
  readonly runners: ReadonlyMap<string, EntryRunner>;
  readonly modules: readonly OutputModule[];
}

interface ModuleSpec {
  readonly webhookId: string;
  readonly dataType: "json" | "blob";
  readonly moduleName: string;
  readonly connectionName: string | undefined;
  readonly moduleConfig: Readonly<Record<string, unknown>>;
  /** Location of the item (entry or chain item) holding `module`. */
  readonly location: ConfigLocation;
}

function resolveConnection(spec: ModuleSpec, env: BuildEnvironment): LoadedConnection | undefined {
  const definition = findModule(spec.moduleName)!;
  const at = childLocation(spec.location, "connection");
  if (spec.connectionName === undefined) {
    if (definition.connectionRequired) {
      configError(at, `module '${spec.moduleName}' needs a connection from connections.json`);
    }
    return undefined;
  }
  if (definition.connectionTypes.length === 0) {
    configError(at, `module '${spec.moduleName}' takes no connection`);
  }
  const connection = env.config.connections.get(spec.connectionName);
  if (connection === undefined) {
    configError(at, `unknown connection '${spec.connectionName}' (not in connections.json)`);
  }
  if (!definition.connectionTypes.includes(connection.type)) {
    configError(
      at,
      `connection '${spec.connectionName}' is of type '${connection.type}', module '${spec.moduleName}' needs ${definition.connectionTypes.join(" or ")}`,
    );
  }
  return connection;
}

function createModule(spec: ModuleSpec, env: BuildEnvironment): OutputModule {
  const definition = findModule(spec.moduleName);
  if (definition === undefined) {
    configError(
      childLocation(spec.location, "module"),
      `unknown module '${spec.moduleName}' (known: ${moduleNames().join(", ")})`,
    );
  }
  const connection = resolveConnection(spec, env);
  const location = childLocation(spec.location, "module-config");
  return definition.create({
    context: {
      webhookId: spec.webhookId,
      moduleConfig: spec.moduleConfig,
      connection: connection?.settings,
      dataType: spec.dataType,
      configPath: formatLocation(location),
    },
    location,
    connection,
    shared: env.shared,
    stdout: env.stdout,
    emit: env.emit,
  });
}

function singleRunner(module: OutputModule): EntryRunner {
  return async (message, signal) => {
    try {
      await abortable(module.deliver(message, signal), signal);
      return ACK;
    } catch (error) {
      return failureOutcome(error);
    }
  };
}

function buildEntry(
  webhookId: string,
  entry: WebhookEntry,
  env: BuildEnvironment,
  modules: OutputModule[],
): EntryRunner {
  const location = childLocation({ file: env.config.webhooksFile, keyPath: "" }, webhookId);
  const base = { webhookId, dataType: entry.data_type };
  if (entry.chain === undefined) {
    const module = createModule(
      {
        ...base,
        moduleName: entry.module!,
        connectionName: entry.connection,
        moduleConfig: entry["module-config"] ?? {},
        location,
      },
      env,
    );
    modules.push(module);
    return singleRunner(module);
  }
  const items: ChainItem[] = entry.chain.map((raw, index) => {
    const itemLocation = childLocation(childLocation(location, "chain"), index);
    const item = typeof raw === "string" ? { module: raw } : raw;
    const module = createModule(
      {
        ...base,
        moduleName: item.module,
        connectionName: "connection" in item ? item.connection : undefined,
        moduleConfig: ("module-config" in item ? item["module-config"] : undefined) ?? {},
        location: itemLocation,
      },
      env,
    );
    modules.push(module);
    return { moduleName: item.module, module, retry: "retry" in item ? item.retry : undefined };
  });
  return createChainRunner({
    webhookId,
    items,
    config: entry["chain-config"] ?? chainConfigSchema.parse({}),
    record: env.record,
    emit: env.emit,
    random: env.random,
  });
}

/** Builds a runner per webhook entry; throws ConfigError on the first bad entry. */
export function buildEntries(env: BuildEnvironment): BuiltEntries {
  const runners = new Map<string, EntryRunner>();
  const modules: OutputModule[] = [];
  for (const [webhookId, entry] of env.config.webhooks) {
    runners.set(webhookId, buildEntry(webhookId, entry, env, modules));
  }
  return { runners, modules };
}
