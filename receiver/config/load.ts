/**
 * Loads webhooks.json: read, parse, substitute `{$VAR}` placeholders,
 * validate, derive channels, freeze. Every failure is one ConfigError line
 * naming the file, the key path and the problem (SPEC §2, §3.1).
 */
import { readFile } from "node:fs/promises";
import {
  ConfigError,
  findJsonSyntaxError,
  MissingVariableError,
  substituteVariables,
} from "../../config-file/index.js";
import { deriveChannels, type RelaySource } from "./channels.js";
import { deepFreeze, frozenMap } from "./freeze.js";
import { parseHandshakeBlock } from "./handshake.js";
import { configErrorMap, issueToConfigError } from "./issues.js";
import { isValidName, NAME_RULE } from "./names.js";
import { parseResponseBlock } from "./response.js";
import { RELAY_MODULE, relayModuleConfigSchema, webhookEntrySchema } from "./schema.js";
import type { ChannelConfig, ReceiverConfig, WebhookEntry } from "./types.js";

/** Options of the loader. */
export interface LoadReceiverConfigOptions {
  /** Variables for `{$VAR}` placeholders. @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

const ENTRY_KEYS = Object.keys(webhookEntrySchema.shape);
const RELAY_KEYS = Object.keys(relayModuleConfigSchema.shape);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function parseJson(file: string, text: string): unknown {
  const source = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return JSON.parse(source);
  } catch (cause) {
    const found = findJsonSyntaxError(source);
    const where = found === undefined ? "" : ` at line ${found.line}, column ${found.column}`;
    const problem = found === undefined ? "" : `: ${found.problem}`;
    throw new ConfigError(file, "", `invalid JSON${where}${problem}`, { cause });
  }
}

function substitute(file: string, value: unknown, env: LoadReceiverConfigOptions["env"]): unknown {
  try {
    return substituteVariables(value, env);
  } catch (error) {
    if (!(error instanceof MissingVariableError)) throw error;
    throw new ConfigError(
      file,
      error.keyPath,
      `environment variable ${error.variable} is not set and has no default`,
      { cause: error },
    );
  }
}

function parseEntry(
  file: string,
  id: string,
  raw: unknown,
): { entry: WebhookEntry; relay?: RelaySource } {
  if (!isValidName(id)) throw new ConfigError(file, id, `invalid webhook id: ${NAME_RULE}`);
  const parsed = webhookEntrySchema.safeParse(raw, { error: configErrorMap });
  if (!parsed.success) throw issueToConfigError(file, [id], parsed.error, ENTRY_KEYS);
  const fields = parsed.data;
  const relayed = fields.module === RELAY_MODULE;
  const entry = {
    id,
    dataType: fields.data_type,
    module: fields.module,
    relayed,
    handshake:
      fields.handshake === undefined
        ? undefined
        : parseHandshakeBlock(file, id, fields.handshake, fields.hmac),
    response:
      fields.response === undefined ? undefined : parseResponseBlock(file, id, fields.response),
    raw: raw as Record<string, unknown>,
  };
  if (!relayed) return { entry: { ...entry, channel: undefined } };
  const config = relayModuleConfigSchema.safeParse(fields["module-config"], {
    error: configErrorMap,
  });
  if (!config.success) {
    throw issueToConfigError(file, [id, "module-config"], config.error, RELAY_KEYS);
  }
  return {
    entry: { ...entry, channel: config.data.channel },
    relay: { webhookId: id, settings: config.data },
  };
}

/**
 * Validates the text of a webhooks.json. `file` only names the source in
 * errors. Throws ConfigError.
 */
export function parseReceiverConfig(
  text: string,
  file: string,
  options: LoadReceiverConfigOptions = {},
): ReceiverConfig {
  const document = substitute(file, parseJson(file, text), options.env ?? process.env);
  if (!isPlainObject(document)) {
    throw new ConfigError(file, "", "expected a JSON object of webhook id → webhook config");
  }
  const webhooks: WebhookEntry[] = [];
  const relays: RelaySource[] = [];
  for (const [id, raw] of Object.entries(document)) {
    const { entry, relay } = parseEntry(file, id, raw);
    webhooks.push(entry);
    if (relay !== undefined) relays.push(relay);
  }
  const channels: ChannelConfig[] = deriveChannels(file, relays);
  return Object.freeze({
    file,
    webhooks: frozenMap(webhooks.map((entry) => [entry.id, deepFreeze(entry)] as const)),
    channels: frozenMap(channels.map((channel) => [channel.name, deepFreeze(channel)] as const)),
  });
}

/** Reads and validates webhooks.json at `file`. Rejects with ConfigError. */
export async function loadReceiverConfig(
  file: string,
  options: LoadReceiverConfigOptions = {},
): Promise<ReceiverConfig> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    const problem =
      code === "ENOENT" ? "file not found" : `cannot read the file (${code ?? cause})`;
    throw new ConfigError(file, "", problem, { cause });
  }
  return parseReceiverConfig(text, file, options);
}
