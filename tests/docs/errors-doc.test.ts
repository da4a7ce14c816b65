/**
 * docs/errors.md lists every stable error code the code base can emit,
 * with the HTTP status the receiver's table maps it to; this keeps the two
 * in step (STYLE §6).
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { errorCodes } from "../../receiver/errors.js";

const ROOT = new URL("../../", import.meta.url).pathname;
const CODE = /\bWC_ERR_[A-Z0-9_]*[A-Z0-9]\b/g;

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (name.endsWith(".ts")) out.push(path);
  }
  return out;
}

function codesInSource(): Set<string> {
  const codes = new Set<string>();
  for (const room of ["receiver", "connector"]) {
    for (const file of sourceFiles(join(ROOT, room))) {
      for (const match of readFileSync(file, "utf8").matchAll(CODE)) codes.add(match[0]);
    }
  }
  // `WC_ERR_<AREA>_<WHAT>` in comments is the pattern, not a code.
  codes.delete("WC_ERR_");
  return codes;
}

/** Rows of the doc's tables: `| \`CODE\` | status | … |`. */
function documentedRows(): Map<string, string> {
  const rows = new Map<string, string>();
  const text = readFileSync(join(ROOT, "docs/errors.md"), "utf8");
  for (const line of text.split("\n")) {
    const match = /^\|\s*`(WC_ERR_[A-Z0-9_]+)`\s*\|\s*([^|]*?)\s*\|/.exec(line);
    if (match !== null) rows.set(match[1]!, match[2]!);
  }
  return rows;
}

describe("docs/errors.md", () => {
  const documented = documentedRows();

  it("documents every code used in the source", () => {
    const missing = [...codesInSource()].filter((code) => !documented.has(code)).sort();
    expect(missing).toEqual([]);
  });

  it("documents no code the source does not use", () => {
    const used = codesInSource();
    const stale = [...documented.keys()].filter((code) => !used.has(code)).sort();
    expect(stale).toEqual([]);
  });

  it("gives each receiver code the HTTP status of the code table", () => {
    for (const [code, mapping] of Object.entries(errorCodes)) {
      expect(documented.get(code), code).toBe(String(mapping.http));
    }
  });
});
