/**
 * `{$VAR}` / `{$VAR:default}` substitution in config values (SPEC §3.1).
 * Applied to every string value of a parsed config file, whole or embedded.
 * The variable's value is inserted exactly as set: no trimming, no type
 * conversion, no re-escaping. Keys are never substituted.
 */

const PLACEHOLDER = /\{\$([A-Za-z_][A-Za-z0-9_]*)(?::([^}]*))?\}/g;

/** A placeholder names a variable that is not set and has no default. */
export class MissingVariableError extends Error {
  /** The variable's name. */
  readonly variable: string;
  /** Key path of the value, e.g. `stripe_relay.hmac.secret`. */
  readonly keyPath: string;

  constructor(variable: string, keyPath: string) {
    super(`environment variable ${variable} is not set and has no default (at ${keyPath})`);
    this.name = "MissingVariableError";
    this.variable = variable;
    this.keyPath = keyPath;
  }
}

function substituteString(
  value: string,
  env: Readonly<Record<string, string | undefined>>,
  keyPath: string,
): string {
  return value.replace(PLACEHOLDER, (_match, name: string, fallback: string | undefined) => {
    const set = env[name];
    if (set !== undefined) return set;
    if (fallback !== undefined) return fallback;
    throw new MissingVariableError(name, keyPath);
  });
}

function pathOf(parent: string, key: string | number): string {
  if (typeof key === "number") return `${parent}[${key}]`;
  return parent === "" ? key : `${parent}.${key}`;
}

/**
 * Returns a deep copy of `value` with placeholders in string values replaced.
 * Throws MissingVariableError naming the variable and the key path.
 */
export function substituteVariables(
  value: unknown,
  env: Readonly<Record<string, string | undefined>> = process.env,
  keyPath = "",
): unknown {
  if (typeof value === "string") return substituteString(value, env, keyPath || "(root)");
  if (Array.isArray(value)) {
    return value.map((item, index) => substituteVariables(item, env, pathOf(keyPath, index)));
  }
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      out[key] = substituteVariables(item, env, pathOf(keyPath, key));
    }
    return out;
  }
  return value;
}
