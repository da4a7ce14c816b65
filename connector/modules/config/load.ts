/**
 * Reads webhooks.json and connections.json for module mode: JSON parse,
 * `{$VAR}` substitution, validation. Every problem is a ConfigError naming
 * the file and the key. The result is frozen.
 */
import { readFile } from "node:fs/promises";
import { z } from "zod";
import {
  ConfigError,
  MissingVariableError,
  substituteVariables,
} from "../../../config-file/index.js";
import {
  type ConnectionType,
  connectionSchemas,
  connectionTypeAliases,
} from "./connection-types.js";
import { type ConfigLocation, childLocation, configError, parseConfig } from "./parse.js";
import { type WebhookEntry, webhooksFileSchema } from "./webhooks-schema.js";

/** A validated named connection. */
export interface LoadedConnection {
  /** Its name in connections.json. */
  readonly name: string;
  /** Canonical type. */
  readonly type: ConnectionType;
  /** Validated settings, defaults applied. */
  readonly settings: Readonly<Record<string, unknown>>;
  /** Where it is declared. */
  readonly location: ConfigLocation;
}

/** Both files, validated. */
export interface ModuleModeConfig {
  /** webhook id → entry. */
  readonly webhooks: ReadonlyMap<string, WebhookEntry>;
  /** connection name → connection. */
  readonly connections: ReadonlyMap<string, LoadedConnection>;
  /** The webhooks file name, for error locations. */
  readonly webhooksFile: string;
}

/** Options of {@link loadModuleModeConfig}. */
export interface LoadModuleModeConfigOptions {
  /** Path of webhooks.json. */
  readonly webhooksConfigPath: string;
  /** Path of connections.json; without it no entry may name a connection. */
  readonly connectionsConfigPath?: string | undefined;
  /** Variables for `{$VAR}` substitution. */
  readonly env: Readonly<Record<string, string | undefined>>;
}

async function readJsonFile(
  path: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError(path, "", `cannot read file (${code ?? String(error)})`, {
      cause: error,
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(path, "", `invalid JSON: ${(error as Error).message}`, { cause: error });
  }
  try {
    return substituteVariables(parsed, env);
  } catch (error) {
    if (error instanceof MissingVariableError) {
      throw new ConfigError(
        path,
        error.keyPath === "(root)" ? "" : error.keyPath,
        `environment variable ${error.variable} is not set and has no default`,
        { cause: error },
      );
    }
    throw error;
  }
}

const connectionsFileSchema = z.record(
  z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, "invalid connection name"),
  z.looseObject({ type: z.string({ error: "expected a string 'type'" }) }),
);

function loadConnections(raw: unknown, file: string): Map<string, LoadedConnection> {
  const root: ConfigLocation = { file, keyPath: "" };
  const parsed = parseConfig(connectionsFileSchema, raw, root);
  const out = new Map<string, LoadedConnection>();
  for (const [name, value] of Object.entries(parsed)) {
    const location = childLocation(root, name);
    const type = connectionTypeAliases[value.type];
    if (type === undefined) {
      configError(
        childLocation(location, "type"),
        `unknown connection type '${value.type}' (known: ${Object.keys(connectionTypeAliases).join(", ")})`,
      );
    }
    const settings = parseConfig(connectionSchemas[type], value, location);
    out.set(name, Object.freeze({ name, type, settings: Object.freeze(settings), location }));
  }
  return out;
}

/** Loads and validates both files; throws ConfigError on the first problem. */
export async function loadModuleModeConfig(
  options: LoadModuleModeConfigOptions,
): Promise<ModuleModeConfig> {
  const file = options.webhooksConfigPath;
  const rawWebhooks = await readJsonFile(file, options.env);
  const webhooks = parseConfig(webhooksFileSchema, rawWebhooks, { file, keyPath: "" });
  const connections =
    options.connectionsConfigPath === undefined
      ? new Map<string, LoadedConnection>()
      : loadConnections(
          await readJsonFile(options.connectionsConfigPath, options.env),
          options.connectionsConfigPath,
        );
  if (Object.keys(webhooks).length === 0) {
    configError({ file, keyPath: "" }, "no webhook entries");
  }
  return Object.freeze({
    webhooks: new Map(Object.entries(webhooks)),
    connections,
    webhooksFile: file,
  });
}
