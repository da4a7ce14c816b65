import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { PickleTuple, pickle } from "../../../../connector/modules/outputs/pickle.js";

let python = true;
try {
  execFileSync("python3", ["-c", "import pickle"], { stdio: "ignore" });
} catch {
  python = false;
}

function roundTrip(bytes: Buffer): string {
  return execFileSync(
    "python3",
    ["-c", "import sys,pickle; print(repr(pickle.loads(sys.stdin.buffer.read())))"],
    {
      input: bytes,
    },
  )
    .toString("utf8")
    .trim();
}

describe.skipIf(!python)("pickle writer, read back by CPython", () => {
  it.each([
    [null, "None"],
    [true, "True"],
    [false, "False"],
    [0, "0"],
    [-1, "-1"],
    [2 ** 31, "2147483648"],
    [-(2 ** 40), "-1099511627776"],
    [2n ** 70n, "1180591620717411303424"],
    [1.5, "1.5"],
    ["héllo ✓", "'héllo ✓'"],
    [new Uint8Array([0, 255]), "b'\\x00\\xff'"],
    [[], "[]"],
    [[1, "a"], "[1, 'a']"],
    [{}, "{}"],
    [{ a: [1, { b: null }] }, "{'a': [1, {'b': None}]}"],
    [new PickleTuple([]), "()"],
    [new PickleTuple(["f", null, new PickleTuple([1]), {}]), "('f', None, (1,), {})"],
  ])("pickles case %# as CPython reads it", (value, repr) => {
    expect(roundTrip(pickle(value))).toBe(repr);
  });
});
