/**
 * `save_to_disk`: one file per message in `path`. The file name always
 * contains the message_id, so a redelivery overwrites the same file instead
 * of adding one. Values put into the name are reduced to a safe character
 * set and the result must stay inside `path`: no traversal. Files are
 * written to a temporary name, fsync'd and renamed, so a reader never sees
 * half a file.
 */
import { randomBytes } from "node:crypto";
import { mkdir, open, rename, rm } from "node:fs/promises";
import { join, resolve, sep } from "node:path";
import { z } from "zod";
import type { WebhookMessage } from "../../../gen/webhookconnect/v1/message_pb.js";
import { childLocation, configError, parseConfig } from "../config/parse.js";
import { boolLike, nonEmpty } from "../config/values.js";
import { decodeBody, receivedAt, relayEnvelope } from "../message/envelope.js";
import { errorCode, toDeliveryError } from "../message/failure.js";
import type { ModuleBuildContext, ModuleDefinition } from "../module-definition.js";
import type { OutputModule } from "../output-module.js";

/** `module-config` of `save_to_disk`. */
export const saveToDiskOptionsSchema = z.strictObject({
  /** Directory; created when missing. Relative paths are relative to the working directory. */
  path: nonEmpty,
  /**
   * File name pattern. Placeholders: `{message_id}` (or `{uuid}`, the same
   * value), `{webhook_id}`, `{timestamp}` (received_at in ms), `{date}`
   * (received_at as YYYY-MM-DD). Must contain `{message_id}` or `{uuid}`.
   * @default "{webhook_id}_{timestamp}_{message_id}"
   */
  filename_pattern: nonEmpty.default("{webhook_id}_{timestamp}_{message_id}"),
  /**
   * Write a JSON document with metadata, headers and payload instead of the
   * raw body bytes. @default false
   */
  include_headers: boolLike.default(false),
  /** Appended when the pattern has no extension. @default ".json" (data_type json), ".bin" (blob) */
  file_extension: z
    .string()
    .regex(/^(\.[A-Za-z0-9]{1,16})?$/, "expected an extension like '.json'")
    .optional(),
  /** Permission bits of new files (octal string). @default "0640" */
  file_mode: z
    .string()
    .regex(/^0?[0-7]{3}$/, "expected an octal mode like '0640'")
    .default("0640"),
});

const PLACEHOLDER = /\{([a-z_]+)\}/g;
const KNOWN = new Set(["message_id", "uuid", "webhook_id", "timestamp", "date"]);

/** Reduces a value to characters that are safe in a file name. */
export function safeNamePart(value: string): string {
  const cleaned = value.replace(/[^A-Za-z0-9._-]/g, "_").replace(/\.{2,}/g, "_");
  return cleaned === "" || cleaned === "." ? "_" : cleaned.slice(0, 128);
}

/** The file name for `message` under `pattern` (without directory). */
export function fileNameFor(message: WebhookMessage, pattern: string, extension: string): string {
  const at = receivedAt(message);
  const name = pattern.replace(PLACEHOLDER, (_match, key: string) => {
    switch (key) {
      case "message_id":
      case "uuid":
        return safeNamePart(message.messageId);
      case "webhook_id":
        return safeNamePart(message.webhookId);
      case "timestamp":
        return String(at.getTime());
      default:
        return at.toISOString().slice(0, 10);
    }
  });
  return /\.[A-Za-z0-9]{1,16}$/.test(name) ? name : `${name}${extension}`;
}

function contentFor(
  message: WebhookMessage,
  dataType: "json" | "blob",
  includeHeaders: boolean,
): Uint8Array {
  if (!includeHeaders) return message.body;
  const envelope = relayEnvelope(message, decodeBody(message, dataType), true);
  return Buffer.from(`${JSON.stringify(envelope, null, 2)}\n`);
}

async function writeAtomically(target: string, content: Uint8Array, mode: number): Promise<void> {
  const temporary = `${target}.${randomBytes(6).toString("hex")}.tmp`;
  const handle = await open(temporary, "w", mode);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temporary, target);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

function createSaveToDisk(build: ModuleBuildContext): OutputModule {
  const options = parseConfig(saveToDiskOptionsSchema, build.context.moduleConfig, build.location);
  const at = (key: string) => childLocation(build.location, key);
  const pattern = options.filename_pattern;
  if (/[/\\]/.test(pattern) || pattern.includes("..")) {
    configError(at("filename_pattern"), "must be a file name, without '/', '\\' or '..'");
  }
  for (const [, key] of pattern.matchAll(PLACEHOLDER)) {
    if (!KNOWN.has(key!)) configError(at("filename_pattern"), `unknown placeholder {${key}}`);
  }
  if (!pattern.includes("{message_id}") && !pattern.includes("{uuid}")) {
    configError(
      at("filename_pattern"),
      "must contain {message_id} so redeliveries overwrite, not duplicate",
    );
  }
  const directory = resolve(options.path);
  const extension =
    options.file_extension ?? (build.context.dataType === "blob" ? ".bin" : ".json");
  const mode = Number.parseInt(options.file_mode, 8);
  let ready: Promise<unknown> | undefined;

  return {
    name: "save_to_disk",
    async deliver(message) {
      const target = join(directory, fileNameFor(message, pattern, extension));
      if (!target.startsWith(directory + sep)) {
        throw toDeliveryError(
          "save_to_disk",
          new Error(`refusing path outside ${directory}`),
          false,
        );
      }
      try {
        ready ??= mkdir(directory, { recursive: true, mode: 0o750 }).catch((error: unknown) => {
          ready = undefined;
          throw error;
        });
        await ready;
        await writeAtomically(
          target,
          contentFor(message, build.context.dataType, options.include_headers),
          mode,
        );
      } catch (error) {
        // A full or read-only disk may recover; a missing permission will not on its own,
        // but the operator can fix it, so both stay retryable until max attempts.
        const code = errorCode(error);
        throw toDeliveryError(`save_to_disk: ${code ?? "write failed"}`, error, true);
      }
    },
    async close() {},
  };
}

/** Registry entry of `save_to_disk`. */
export const saveToDiskModule: ModuleDefinition = {
  name: "save_to_disk",
  aliases: ["save-to-disk"],
  connectionTypes: [],
  connectionRequired: false,
  create: createSaveToDisk,
};
