import { describe, expect, it } from "vitest";
import { findJsonSyntaxError } from "../../receiver/config/index.js";

describe("findJsonSyntaxError", () => {
  it.each([
    "{}",
    "[]",
    ' { "a" : [1, -2.5e+3, 0, true, false, null, "x\\u00e9\\n"] } ',
    '"text"',
    "0",
    "-0.0E-0",
  ])("accepts valid JSON %s", (text) => {
    expect(() => JSON.parse(text)).not.toThrow();
    expect(findJsonSyntaxError(text)).toBeUndefined();
  });

  it.each([
    ['{"a":1,}', 1, 8, "expected a property name in double quotes, found '}'"],
    ['{"a" 1}', 1, 6, "expected ':', found '1'"],
    ['{"a":1\n"b":2}', 2, 1, "expected ',' or '}', found '\"'"],
    ["[1 2]", 1, 4, "expected ',' or ']', found '2'"],
    ['{"a":"open', 1, 11, "unterminated string"],
    ['"\\x"', 1, 3, "invalid escape 'x' in a string"],
    ['"\\u12G4"', 1, 4, "expected 4 hex digits after \\u"],
    ['"a\tb"', 1, 3, "control character U+0009 inside a string"],
    ["01", 1, 2, "expected end of file, found '1'"],
    ["1.", 1, 3, "expected a digit after '.', found end of file"],
    ["tru", 1, 4, "expected 'true', found end of file"],
    ["{} x", 1, 4, "expected end of file, found 'x'"],
    ["", 1, 1, "expected a value, found end of file"],
  ])("locates the error in %j", (text, line, column, problem) => {
    expect(() => JSON.parse(text)).toThrow(SyntaxError);
    expect(findJsonSyntaxError(text)).toMatchObject({ line, column, problem });
  });
});
