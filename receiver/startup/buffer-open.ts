/**
 * Opens the buffer at start-up. Any failure (an unreachable broker, a
 * data directory that is read-only, full or not a directory) becomes one
 * ConfigError line naming where the URL came from and the problem.
 */
import type { Buffer, BufferEvent } from "../buffer/index.js";
import { createBufferFromUrl, parseBufferUrl } from "../buffer/index.js";
import { ConfigError } from "../config/index.js";
import { dataDirectoryProblem } from "./data-directory.js";

function causeText(error: unknown): string {
  const cause = (error as { cause?: unknown } | null)?.cause;
  if (!(cause instanceof Error) || error instanceof ConfigError) return "";
  const code = (cause as NodeJS.ErrnoException).code;
  return code === undefined || (error as Error).message.includes(code) ? "" : ` (${code})`;
}

/** The URL as it may be printed: a password in it is masked. */
function shownUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password === "") return url;
    parsed.password = "***";
    return parsed.toString();
  } catch {
    return url;
  }
}

/** Describes a failure of the buffer named by `url` as one start-up line. */
export function bufferStartupError(error: unknown, url: string, source: string): ConfigError {
  if (error instanceof ConfigError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const target = parseBufferUrl(url, source);
  const problem = target.kind === "sqlite" ? dataDirectoryProblem(target.path) : undefined;
  const where = source === "--buffer" || source === "default" ? "--buffer" : source;
  return new ConfigError(
    `${where} ${shownUrl(url)}`,
    "",
    `${message}${causeText(error)}${problem === undefined ? "" : `: ${problem}`}`,
    { cause: error },
  );
}

/** Opens the buffer; throws a one-line ConfigError when it cannot. */
export async function openStartupBuffer(
  url: string,
  source: string,
  onEvent?: (event: BufferEvent) => void,
): Promise<Buffer> {
  try {
    return await createBufferFromUrl(url, source, onEvent);
  } catch (error) {
    throw bufferStartupError(error, url, source);
  }
}
