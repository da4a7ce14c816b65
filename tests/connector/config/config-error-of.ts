/** The connector config tests' check that loading fails with a ConfigError, not another error. */
import { expect } from "vitest";
import { ConfigError } from "../../../config-file/config-error.js";

/** The ConfigError `load` throws; fails the test when it throws anything else or nothing. */
export function configErrorOf(load: () => unknown): ConfigError {
  try {
    load();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error("expected a ConfigError");
}
