/**
 * Loads the connector configuration from its three sources (SPEC §2):
 * a flag that was given beats an env var that is set, which beats the
 * file, which beats the schema default. Errors are one-line ConfigErrors
 * naming where the bad value came from.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import {
  ConfigError,
  findJsonSyntaxError,
  formatKeyPath,
  MissingVariableError,
  substituteVariables,
} from "../../config-file/index.js";
import { parseConnectorArgs } from "./args.js";
import { type ConfigOption, configOptions, convertOptionValue, pathKeys } from "./options.js";
import { type ConnectorConfig, connectorConfigSchema, targetSchema } from "./schema.js";

/** Inputs of loadConnectorConfig. */
export interface LoadConnectorConfigOptions {
  /** Command-line arguments after `connector`. */
  readonly argv: readonly string[];
  /** Environment (for `CONNECTOR_*` and `{$VAR}` substitution). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Base for relative `--config` paths. @default process.cwd() */
  readonly cwd?: string;
}

/** The loaded configuration and where it came from. */
export interface LoadedConnectorConfig {
  /** The frozen, validated configuration. */
  readonly config: ConnectorConfig;
  /** Absolute path of the config file, when one was read. */
  readonly configFile: string | undefined;
  /** True when `--help` was given; `config` is then not loaded. */
  readonly help: false;
}

/** `--help` was asked for. */
export interface HelpRequested {
  /** Always true. */
  readonly help: true;
  /** Present when it was `--version` rather than `--help`. */
  readonly version?: true;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function readConfigFile(path: string, label: string, env: LoadConnectorConfigOptions["env"]): Json {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "read error";
    throw new ConfigError(label, "", `cannot read the file (${code})`, { cause: error });
  }
  let parsed: unknown;
  const source = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    parsed = JSON.parse(source);
  } catch (error) {
    // A stable line and column, without echoing the text (it may hold a token).
    const found = findJsonSyntaxError(source);
    const where = found === undefined ? "" : ` at line ${found.line}, column ${found.column}`;
    const problem = found === undefined ? "" : `: ${found.problem}`;
    throw new ConfigError(label, "", `invalid JSON${where}${problem}`, { cause: error });
  }
  if (!isObject(parsed))
    throw new ConfigError(label, "", "expected a JSON object at the top level");
  try {
    return substituteVariables(parsed, env) as Json;
  } catch (error) {
    if (error instanceof MissingVariableError) {
      throw new ConfigError(
        label,
        error.keyPath,
        `environment variable ${error.variable} is not set and has no default`,
      );
    }
    throw error;
  }
}

function setPath(target: Json, path: readonly string[], value: unknown, label: string): void {
  let node = target;
  for (const [index, key] of path.entries()) {
    if (index === path.length - 1) {
      node[key] = value;
      return;
    }
    const child = node[key];
    if (child === undefined) {
      const created: Json = {};
      node[key] = created;
      node = created;
    } else if (isObject(child)) {
      const copy: Json = { ...child };
      node[key] = copy;
      node = copy;
    } else {
      throw new ConfigError(label, path.slice(0, index + 1).join("."), "expected an object");
    }
  }
}

function envValue(option: ConfigOption, env: LoadConnectorConfigOptions["env"]) {
  for (const name of option.env) {
    const value = env[name];
    // An empty variable counts as unset, as with `FOO=` in compose files.
    if (value !== undefined && value !== "") return { name, value };
  }
  return undefined;
}

/**
 * Reads, merges, validates and freezes the connector configuration.
 * Throws ConfigError with a one-line message on any problem.
 */
export function loadConnectorConfig(
  options: LoadConnectorConfigOptions,
): LoadedConnectorConfig | HelpRequested {
  const { env } = options;
  const cwd = options.cwd ?? process.cwd();
  const args = parseConnectorArgs(options.argv);
  if (args.help) return { help: true };
  if (args.version) return { help: true, version: true };

  const configArg = args.config ?? envValue(CONFIG_OPTION, env)?.value ?? defaultConfigFile(cwd);
  const configFile = configArg === undefined ? undefined : resolve(cwd, configArg);
  const fileLabel = configArg ?? "connector config";
  const merged: Json = configFile === undefined ? {} : readConfigFile(configFile, fileLabel, env);

  // Where each overridden key path came from, for error messages.
  const sources = new Map<string, string>();
  const fromFile = new Set(pathKeys.filter((key) => merged[key] !== undefined));
  const apply = (option: ConfigOption, raw: string, label: string) => {
    const converted = convertOptionValue(option.kind, raw);
    const keyPath = option.path.join(".");
    if ("problem" in converted) throw new ConfigError(label, keyPath, converted.problem);
    setPath(merged, option.path, converted.value, label);
    sources.set(keyPath, label);
    if (option.path.length === 1) fromFile.delete(option.path[0] as (typeof pathKeys)[number]);
  };
  for (const option of configOptions) {
    const set = envValue(option, env);
    if (set !== undefined) apply(option, set.value, `env ${set.name}`);
  }
  for (const option of configOptions) {
    const given = args.values.get(option.flag);
    if (given !== undefined) apply(option, given, `flag --${option.flag}`);
  }

  for (const [key, placeholder] of required) {
    if (merged[key] !== undefined) continue;
    throw new ConfigError(
      fileLabel,
      key,
      `is required: give --${key.replaceAll("_", "-")} ${placeholder}, set CONNECTOR_${key.toUpperCase()}, or put "${key}" in connector.json`,
    );
  }
  const result = connectorConfigSchema.safeParse(merged);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const keyPath = formatKeyPath(issue.path);
    throw new ConfigError(
      sourceOf(keyPath, sources, fileLabel),
      keyPath,
      describeIssue(issue, issue.path),
    );
  }
  const config = { ...result.data };
  if (configFile !== undefined) {
    for (const key of fromFile) {
      const value = config[key];
      if (value !== undefined && !isAbsolute(value)) {
        config[key] = resolve(dirname(configFile), value);
      }
    }
  }
  return { config: deepFreeze(config), configFile, help: false };
}

/** Keys without a default, with the placeholder of their flag. */
const required = [
  ["cloud_url", "URL"],
  ["channel", "NAME"],
  ["token", "TOKEN"],
] as const;

const CONFIG_OPTION: ConfigOption = {
  path: [],
  env: ["CONNECTOR_CONFIG"],
  flag: "config",
  kind: "string",
};

function sourceOf(keyPath: string, sources: ReadonlyMap<string, string>, fileLabel: string) {
  let best: string | undefined;
  let bestLength = -1;
  for (const [path, label] of sources) {
    const matches =
      keyPath === path || keyPath.startsWith(`${path}.`) || path.startsWith(`${keyPath}.`);
    if (matches && keyPath !== "" && path.length > bestLength) {
      best = label;
      bestLength = path.length;
    }
  }
  return best ?? fileLabel;
}

function describeIssue(
  issue: { code: string; message: string; keys?: readonly string[] },
  path: readonly PropertyKey[],
) {
  if (issue.code === "unrecognized_keys" && issue.keys !== undefined) {
    const allowed = allowedKeysAt(path);
    const unknown = issue.keys.map((key) => {
      const close = allowed.find((name) => editDistance(name, key) <= 2);
      return close === undefined ? `'${key}'` : `'${key}' (did you mean '${close}'?)`;
    });
    return `unknown key${issue.keys.length > 1 ? "s" : ""} ${unknown.join(", ")}; allowed: ${allowed.join(", ")}`;
  }
  if (issue.code === "invalid_type" && issue.message.endsWith("received undefined")) {
    return "is required";
  }
  return issue.message;
}

/** `./connector.json`, read when present and no config file is named. */
function defaultConfigFile(cwd: string): string | undefined {
  return existsSync(resolve(cwd, "connector.json")) ? "connector.json" : undefined;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object") {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/** The keys an object at `path` of connector.json may have. */
function allowedKeysAt(path: readonly PropertyKey[]): string[] {
  const target = path[0] === "default_target" || (path[0] === "targets" && path.length === 2);
  return Object.keys(target ? targetSchema.shape : connectorConfigSchema.shape);
}

/** Levenshtein distance, for "did you mean". */
function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(above + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}
