/**
 * Locates the first JSON syntax error in a text. JSON.parse messages differ
 * between V8 versions, some carry no position and newer ones quote a snippet
 * of the input (which may hold a secret); this scanner gives a stable line,
 * column and problem without echoing input.
 */

/** Where and why a text is not valid JSON. */
export interface JsonSyntaxProblem {
  /** Offset in UTF-16 code units from the start of the text. */
  readonly offset: number;
  /** 1-based line. */
  readonly line: number;
  /** 1-based column (UTF-16 code units). */
  readonly column: number;
  /** What was expected or found, e.g. `expected ',' or '}'`. */
  readonly problem: string;
}

const MAX_DEPTH = 512;

class SyntaxProblem extends Error {
  constructor(
    readonly offset: number,
    readonly problem: string,
  ) {
    super(problem);
  }
}

function describeChar(char: string | undefined): string {
  if (char === undefined) return "end of file";
  const code = char.charCodeAt(0);
  if (code < 0x20 || code === 0x7f)
    return `control character U+${code.toString(16).padStart(4, "0")}`;
  return `'${char}'`;
}

function scanner(text: string) {
  let pos = 0;

  const fail = (problem: string): never => {
    throw new SyntaxProblem(pos, problem);
  };
  const unexpected = (expected: string): never =>
    fail(`expected ${expected}, found ${describeChar(text[pos])}`);

  const skipWhitespace = (): void => {
    while (pos < text.length) {
      const char = text[pos];
      if (char !== " " && char !== "\t" && char !== "\n" && char !== "\r") return;
      pos++;
    }
  };

  const digits = (): number => {
    const start = pos;
    while (pos < text.length && text[pos]! >= "0" && text[pos]! <= "9") pos++;
    return pos - start;
  };

  const scanNumber = (): void => {
    if (text[pos] === "-") pos++;
    if (text[pos] === "0") pos++;
    else if (digits() === 0) unexpected("a digit");
    if (text[pos] === ".") {
      pos++;
      if (digits() === 0) unexpected("a digit after '.'");
    }
    if (text[pos] === "e" || text[pos] === "E") {
      pos++;
      if (text[pos] === "+" || text[pos] === "-") pos++;
      if (digits() === 0) unexpected("a digit in the exponent");
    }
  };

  const scanString = (): void => {
    pos++;
    for (;;) {
      const char = text[pos];
      if (char === undefined) fail("unterminated string");
      if (char === '"') {
        pos++;
        return;
      }
      if (char!.charCodeAt(0) < 0x20) fail(`${describeChar(char)} inside a string`);
      if (char === "\\") {
        pos++;
        const escaped = text[pos];
        if (escaped === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(pos + 1, pos + 5))) {
            pos++;
            fail("expected 4 hex digits after \\u");
          }
          pos += 5;
          continue;
        }
        if (escaped === undefined || !'"\\/bfnrt'.includes(escaped)) {
          fail(`invalid escape ${describeChar(escaped)} in a string`);
        }
      }
      pos++;
    }
  };

  const scanLiteral = (word: string): void => {
    for (const expected of word) {
      if (text[pos] !== expected) unexpected(`'${word}'`);
      pos++;
    }
  };

  const scanValue = (depth: number): void => {
    if (depth > MAX_DEPTH) fail("nesting too deep");
    skipWhitespace();
    const char = text[pos];
    if (char === "{") scanContainer(depth, "}", true);
    else if (char === "[") scanContainer(depth, "]", false);
    else if (char === '"') scanString();
    else if (char === "t") scanLiteral("true");
    else if (char === "f") scanLiteral("false");
    else if (char === "n") scanLiteral("null");
    else if (char === "-" || (char !== undefined && char >= "0" && char <= "9")) scanNumber();
    else unexpected("a value");
  };

  const scanContainer = (depth: number, close: string, keyed: boolean): void => {
    pos++;
    skipWhitespace();
    if (text[pos] === close) {
      pos++;
      return;
    }
    for (;;) {
      if (keyed) {
        skipWhitespace();
        if (text[pos] !== '"') unexpected("a property name in double quotes");
        scanString();
        skipWhitespace();
        if (text[pos] !== ":") unexpected("':'");
        pos++;
      }
      scanValue(depth + 1);
      skipWhitespace();
      if (text[pos] === ",") {
        pos++;
        continue;
      }
      if (text[pos] === close) {
        pos++;
        return;
      }
      unexpected(`',' or '${close}'`);
    }
  };

  return {
    scanDocument(): void {
      scanValue(0);
      skipWhitespace();
      if (pos < text.length) unexpected("end of file");
    },
  };
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let index = 0; index < offset && index < text.length; index++) {
    if (text[index] === "\n") {
      line++;
      lineStart = index + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/** Returns the first syntax problem of `text`, or undefined when it is valid JSON. */
export function findJsonSyntaxError(text: string): JsonSyntaxProblem | undefined {
  try {
    scanner(text).scanDocument();
    return undefined;
  } catch (error) {
    if (!(error instanceof SyntaxProblem)) throw error;
    return { offset: error.offset, ...lineAndColumn(text, error.offset), problem: error.problem };
  }
}
