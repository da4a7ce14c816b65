import { onTestFinished } from "vitest";

/** Anything a test opens and has to close again. */
export interface Closable {
  close(): unknown;
}

/**
 * Closes `resource` when the current test ends, pass or fail, the last
 * registered first: a test keeps what it opens in a `const` instead of a
 * module-level `let` that an afterEach closes and resets.
 */
export function closeAfterTest<T extends Closable>(resource: T): T {
  onTestFinished(async () => {
    await resource.close();
  });
  return resource;
}
