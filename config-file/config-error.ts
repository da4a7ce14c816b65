/**
 * A configuration problem found at start-up. Its message is the one line
 * the CLI prints before exiting non-zero: file, key path, problem.
 */
export class ConfigError extends Error {
  /** Stable code. */
  readonly code = "WC_ERR_CONFIG_INVALID";
  /** The file (or `flag`/`env`) the value came from. */
  readonly file: string;
  /** Key path inside the file, e.g. `stripe_relay.module-config.channel`. */
  readonly keyPath: string;
  /** What is wrong, e.g. `expected a string`. */
  readonly problem: string;

  constructor(file: string, keyPath: string, problem: string, options?: { cause?: unknown }) {
    super(`${file}: ${keyPath === "" ? "" : `${keyPath}: `}${problem}`, options);
    this.name = "ConfigError";
    this.file = file;
    this.keyPath = keyPath;
    this.problem = problem;
  }
}

/** Formats a zod issue path (`["a", 0, "b"]`) as `a[0].b`. */
export function formatKeyPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? String(part) : `.${String(part)}`;
  }
  return out;
}
