/**
 * Why the embedded buffer's file cannot be created or written, asked of
 * the file system after SQLite failed: SQLite's own messages ("unable to
 * open database file") do not say that the directory is read-only or full.
 */
import { accessSync, constants, existsSync, lstatSync, statfsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileProblem } from "./file-problem.js";

/** Below this much free space a failed open is blamed on a full file system. */
const FULL_BELOW_BYTES = 1024 * 1024;

/** The deepest existing path above `path` (the directory SQLite would create its file in). */
function existingAncestor(path: string): string {
  let current = dirname(path);
  for (;;) {
    try {
      lstatSync(current);
      return current;
    } catch {
      const parent = dirname(current);
      if (parent === current) return current;
      current = parent;
    }
  }
}

/** A sentence naming the directory and what is wrong with it, or undefined when nothing is. */
export function dataDirectoryProblem(path: string): string | undefined {
  const file = resolve(path);
  const directory = existingAncestor(file);
  try {
    if (!lstatSync(directory).isDirectory()) return `'${directory}' is not a directory`;
    accessSync(existsSync(file) ? file : directory, constants.W_OK);
  } catch (error) {
    return `'${directory}' is not writable: ${fileProblem(error)}`;
  }
  try {
    const stats = statfsSync(directory);
    const free = Number(stats.bavail) * Number(stats.bsize);
    if (free < FULL_BELOW_BYTES) {
      return `the file system holding '${directory}' is full (${free} bytes free)`;
    }
  } catch {
    // No statfs on this platform or path: nothing more to say.
  }
  return undefined;
}
