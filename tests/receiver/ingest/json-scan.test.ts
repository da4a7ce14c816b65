/**
 * The validating JSON scanner accepts exactly RFC 8259 JSON: fixed
 * valid/invalid fixtures (after the JSONTestSuite categories), the depth
 * limit, and a seeded differential fuzz against `JSON.parse` on random
 * and mutated texts that stay under the depth limit.
 */
import { randomInt } from "node:crypto";
import { describe, expect, it, onTestFailed } from "vitest";
import { JsonScan, MAX_JSON_DEPTH, scanJson } from "../../../receiver/ingest/json-scan.js";
import { Random } from "../hardening/fuzz-requests.js";

const scan = (text: string) => scanJson(Buffer.from(text, "utf8"));

const VALID = [
  "0",
  "-0",
  "1",
  "-1",
  "123456789012345678901234567890",
  "1.5",
  "-0.0e-0",
  "1e5",
  "1E+5",
  "1e-5",
  "0.000001",
  "1.7976931348623157e309",
  '""',
  '"a"',
  '"\\"\\\\\\/\\b\\f\\n\\r\\t"',
  '"\\u0000\\u001f\\uABCD\\uabcd"',
  '"\\ud800"',
  '"\\udc00\\ud800"',
  '"\\ud83d\\ude00"',
  '"é 😀 \u2028 \u2029 \u007f"',
  "true",
  "false",
  "null",
  "[]",
  "{}",
  "[[]]",
  '[1,"a",true,false,null,{},[]]',
  '{"a":1}',
  '{"a":1,"a":2}',
  '{"":""}',
  '{"__proto__":{"x":1}}',
  ' \t\r\n{ "a" : [ 1 , 2 ] , "b" : { } } \t\r\n',
  "[\n1\n,\n2\n]",
  "  7  ",
  '{"a":[{"b":[{"c":null}]}]}',
];

const INVALID = [
  "",
  " ",
  "[",
  "]",
  "{",
  "}",
  "[1,]",
  "[,1]",
  "[1 2]",
  "[1,,2]",
  '{"a":1,}',
  '{"a" 1}',
  '{"a":}',
  "{a:1}",
  "{'a':1}",
  "{1:1}",
  '{"a":1 "b":2}',
  '{"a"}',
  "[1}",
  "{]",
  "01",
  "-01",
  "+1",
  "1.",
  ".1",
  "1.e5",
  "1e",
  "1e+",
  "--1",
  "-",
  "0x10",
  "NaN",
  "Infinity",
  "-Infinity",
  "1 2",
  "[] []",
  "nul",
  "nulls",
  "tru",
  "True",
  "FALSE",
  "undefined",
  '"',
  '"abc',
  "'abc'",
  '"\\"',
  '"\\x41"',
  '"\\u12"',
  '"\\u12G4"',
  '"\\U0041"',
  '"\\a"',
  '"\\ "',
  '"a\tb"',
  '"a\nb"',
  '"\u0000"',
  '"\u001f"',
  "\u00a0 1",
  "\ufeff1",
  "1\u0000",
  "[1]\u000b",
  "/* comment */ 1",
  "[1] // comment",
  '{"a":1}}',
  "[[]]]",
];

describe("scanJson fixtures", () => {
  it.each(VALID)("accepts %j", (text) => {
    expect(() => JSON.parse(text)).not.toThrow();
    expect(scan(text)).toBe(JsonScan.VALID);
  });

  it.each(INVALID)("refuses %j", (text) => {
    expect(() => JSON.parse(text)).toThrow();
    expect(scan(text)).toBe(JsonScan.INVALID);
  });

  it("starts at the given offset (after a byte order mark)", () => {
    const withBom = Buffer.from('\ufeff{"a":1}', "utf8");
    expect(scanJson(withBom)).toBe(JsonScan.INVALID);
    expect(scanJson(withBom, 3)).toBe(JsonScan.VALID);
  });

  it("accepts bytes of 0x80 and above inside strings and nowhere else", () => {
    expect(scanJson(Buffer.from([0x22, 0xc3, 0xa9, 0x22]))).toBe(JsonScan.VALID);
    expect(scanJson(Buffer.from([0x5b, 0xc3, 0xa9, 0x5d]))).toBe(JsonScan.INVALID);
  });
});

describe("scanJson depth limit", () => {
  const arrays = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`;
  const objects = (depth: number) => `${'{"a":'.repeat(depth - 1)}{}${"}".repeat(depth - 1)}`;

  it(`accepts ${MAX_JSON_DEPTH} levels of arrays and of objects`, () => {
    expect(scan(arrays(MAX_JSON_DEPTH))).toBe(JsonScan.VALID);
    expect(scan(objects(MAX_JSON_DEPTH))).toBe(JsonScan.VALID);
  });

  it(`refuses ${MAX_JSON_DEPTH + 1} levels as too deep`, () => {
    expect(scan(arrays(MAX_JSON_DEPTH + 1))).toBe(JsonScan.TOO_DEEP);
    expect(scan(objects(MAX_JSON_DEPTH + 1))).toBe(JsonScan.TOO_DEEP);
  });

  it("refuses 3,000,000 levels as too deep", () => {
    expect(scan(arrays(3_000_000))).toBe(JsonScan.TOO_DEEP);
  });

  it("counts levels, not containers: many siblings at depth 1 are fine", () => {
    expect(scan(`[${Array.from({ length: 2_000 }, () => "[]").join(",")}]`)).toBe(JsonScan.VALID);
  });

  it("is left in a clean state by a scan that stopped early", () => {
    expect(scan(`${"[".repeat(MAX_JSON_DEPTH)}1,`)).toBe(JsonScan.INVALID);
    expect(scan(`{"a":[1]}`)).toBe(JsonScan.VALID);
  });
});

/** A random JSON value as text, at most `depth` levels deep, formatted with random whitespace. */
function randomJson(rng: Random, depth: number): string {
  const ws = () => rng.pick(["", "", "", " ", "\n", "\t", "\r\n", "  "]);
  const kind = depth <= 0 ? rng.int(0, 3) : rng.int(0, 5);
  switch (kind) {
    case 0:
      return rng.pick(["true", "false", "null"]);
    case 1: {
      const int = rng.pick(["0", "-0", String(rng.int(1, 1e9)), `-${rng.int(1, 99)}`]);
      const fraction = rng.chance(0.3) ? `.${rng.int(0, 999_999)}` : "";
      const exponent = rng.chance(0.2)
        ? `${rng.pick(["e", "E"])}${rng.pick(["", "+", "-"])}${rng.int(0, 400)}`
        : "";
      return `${int}${fraction}${exponent}`;
    }
    case 2:
    case 3: {
      let text = '"';
      for (let i = rng.int(0, 12); i > 0; i--) {
        text += rng.pick([
          "a",
          "Z",
          " ",
          "é",
          "😀",
          "\u2028",
          "\\n",
          '\\"',
          "\\\\",
          "\\/",
          "\\u00e9",
          "\\ud800",
          "\\uDFFF",
          "\\b",
        ]);
      }
      return `${text}"`;
    }
    case 4: {
      const items = Array.from(
        { length: rng.int(0, 4) },
        () => ws() + randomJson(rng, depth - 1) + ws(),
      );
      return `[${items.join(",")}]`;
    }
    default: {
      const members = Array.from(
        { length: rng.int(0, 4) },
        () =>
          `${ws()}${randomJson(rng, 0).replace(/^[^"].*$/, '"k"')}${ws()}:${ws()}${randomJson(rng, depth - 1)}${ws()}`,
      );
      return `{${members.join(",")}}`;
    }
  }
}

/** Characters that matter to a JSON parser, for mutations. */
const MUTATIONS = [...'[]{}:,"\\ \n\t0123456789-+.eEtrufalsn/ubx\u0000\u001f\u00a0é'];

function mutate(rng: Random, text: string): string {
  let out = text;
  for (let i = rng.int(1, 3); i > 0; i--) {
    const at = rng.int(0, out.length);
    const char = rng.pick(MUTATIONS);
    switch (rng.int(0, 2)) {
      case 0:
        out = out.slice(0, at) + char + out.slice(at);
        break;
      case 1:
        out = out.slice(0, at) + out.slice(at + 1);
        break;
      default:
        out = out.slice(0, at) + char + out.slice(at + 1);
    }
  }
  return out;
}

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

describe("scanJson against JSON.parse", () => {
  it("agrees on 30,000 random and mutated texts", () => {
    const seed = process.env["FUZZ_SEED"]
      ? Number(process.env["FUZZ_SEED"])
      : randomInt(1, 2 ** 31);
    onTestFailed(() => console.error(`json-scan fuzz seed ${seed}; rerun with FUZZ_SEED=${seed}`));
    const rng = new Random(seed);
    const disagreements: string[] = [];
    let valid = 0;
    for (let i = 0; i < 30_000 && disagreements.length < 5; i++) {
      const base = randomJson(rng, rng.int(0, 6));
      const text = rng.chance(0.5) ? mutate(rng, base) : base;
      // Lone surrogate characters (not escapes) are not UTF-8; the ingest path refuses them earlier.
      if (/[\ud800-\udfff]/u.test(text.replace(/\ud83d\ude00/g, ""))) continue;
      const expected = parses(text);
      if (expected) valid++;
      if ((scan(text) === JsonScan.VALID) !== expected) disagreements.push(JSON.stringify(text));
    }
    expect(disagreements).toEqual([]);
    // The generator is not all garbage and not all valid.
    expect(valid).toBeGreaterThan(5_000);
    expect(valid).toBeLessThan(28_000);
  });
});
