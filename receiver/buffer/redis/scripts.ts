/**
 * Runs the buffer's Lua scripts by SHA (EVALSHA), sending the source once
 * when the server does not know it yet (first use, or after a restart of
 * Redis emptied its script cache).
 */
import { createHash } from "node:crypto";
import type { Redis } from "ioredis";
import * as lua from "./lua.js";

/** One argument of a script: binary-safe. */
export type ScriptArg = string | number | Buffer | Uint8Array;

/** The buffer's scripts, each run with its channel stream as the only key. */
export type Scripts = Record<
  keyof typeof lua,
  (stream: string, args: ScriptArg[]) => Promise<unknown>
>;

/** Binds the scripts to a connection. Replies keep bulk strings as Buffers. */
export function createScripts(redis: Redis): Scripts {
  const scripts = {} as Record<string, (stream: string, args: ScriptArg[]) => Promise<unknown>>;
  for (const [name, source] of Object.entries(lua)) {
    const sha = createHash("sha1").update(source).digest("hex");
    scripts[name] = async (stream, args) => {
      const rest = args.map((arg) =>
        arg instanceof Uint8Array && !Buffer.isBuffer(arg)
          ? Buffer.from(arg.buffer, arg.byteOffset, arg.byteLength)
          : arg,
      ) as (string | number | Buffer)[];
      try {
        return await redis.callBuffer("EVALSHA", [sha, 1, stream, ...rest]);
      } catch (error) {
        if (!(error instanceof Error) || !error.message.startsWith("NOSCRIPT")) throw error;
        return redis.callBuffer("EVAL", [source, 1, stream, ...rest]);
      }
    };
  }
  return scripts as Scripts;
}
