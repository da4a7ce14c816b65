/** Immutability helpers: a loaded config must not change at run time. */

/** Freezes `value` and everything reachable from it through plain objects and arrays. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return value;
}

function refuseMutation(): never {
  throw new TypeError("the configuration is frozen");
}

/**
 * Returns a Map that throws on `set`, `delete` and `clear`: Object.freeze
 * alone does not stop a Map's methods from changing its contents.
 */
export function frozenMap<K, V>(entries: Iterable<readonly [K, V]>): ReadonlyMap<K, V> {
  const map = new Map<K, V>(entries);
  Object.defineProperties(map, {
    set: { value: refuseMutation },
    delete: { value: refuseMutation },
    clear: { value: refuseMutation },
  });
  return Object.freeze(map);
}
