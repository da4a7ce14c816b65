/**
 * Rooms and their faces (STYLE.md, "A folder is a room"): a file may import
 * anything in its own room, its app's root files (receiver/errors.ts), and
 * generated code; from any other room only that room's index.ts. The receiver
 * and the connector never import each other: what both need lives in the
 * shared rooms wire/ and config-file/, which import neither.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const APPS = ["receiver", "connector"];
const SHARED = ["wire", "config-file"];

/** The room of a repository-relative path: `wire`, `receiver` (its root files), `receiver/auth`, … */
function roomOf(file: string): string | undefined {
  const parts = file.split("/");
  const top = parts[0] ?? "";
  if (SHARED.includes(top)) return top;
  if (APPS.includes(top)) return parts.length > 2 ? `${top}/${parts[1]}` : top;
  return undefined;
}

function appOf(room: string): string {
  return room.split("/")[0] ?? room;
}

/** Why importing `to` from `from` breaks a boundary, or undefined when it is allowed. */
function boundaryProblem(from: string, to: string): string | undefined {
  if (to.startsWith("gen/")) return undefined;
  const fromRoom = roomOf(from);
  const toRoom = roomOf(to);
  if (fromRoom === undefined) return undefined;
  if (toRoom === undefined) return `imports ${to}, outside every room`;
  if (SHARED.includes(fromRoom) && APPS.includes(appOf(toRoom))) {
    return `shared room ${fromRoom} imports ${to}`;
  }
  if (APPS.includes(appOf(fromRoom)) && APPS.includes(appOf(toRoom))) {
    if (appOf(fromRoom) !== appOf(toRoom)) return `${appOf(fromRoom)} imports ${to}`;
  }
  if (toRoom === fromRoom) return undefined;
  if (APPS.includes(toRoom) && fromRoom.startsWith(`${toRoom}/`)) return undefined;
  if (to === `${toRoom}/index.ts`) return undefined;
  return `reaches past ${toRoom}/index.ts to ${to}`;
}

/** Relative import specifiers in TypeScript source: static, re-exports and dynamic. */
function relativeImports(source: string): string[] {
  const found: string[] = [];
  for (const match of source.matchAll(/(?:\bfrom|\bimport)\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g)) {
    if (match[1] !== undefined) found.push(match[1]);
  }
  return found;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = `${dir}/${entry.name}`;
    if (entry.isDirectory()) out.push(...sourceFiles(rel));
    else if (entry.name.endsWith(".ts")) out.push(rel);
  }
  return out;
}

describe("room boundaries", () => {
  it("the rule catches each kind of crossing", () => {
    expect(boundaryProblem("receiver/admin/routes.ts", "receiver/buffer/buffer.ts")).toMatch(
      /reaches past receiver\/buffer\/index\.ts/,
    );
    expect(boundaryProblem("connector/main.ts", "receiver/config/index.ts")).toMatch(
      /connector imports/,
    );
    expect(boundaryProblem("wire/lazy-frames.ts", "connector/transport/index.ts")).toMatch(
      /shared room wire/,
    );
    expect(boundaryProblem("receiver/admin/routes.ts", "receiver/buffer/index.ts")).toBeUndefined();
    expect(
      boundaryProblem("receiver/auth/hmac/hmac.ts", "receiver/auth/verifier.ts"),
    ).toBeUndefined();
    expect(boundaryProblem("receiver/auth/hmac/hmac.ts", "receiver/errors.ts")).toBeUndefined();
    expect(boundaryProblem("connector/main.ts", "wire/index.ts")).toBeUndefined();
    expect(
      relativeImports('import type { A } from "../a.js";\nconst m = await import("./b.js");'),
    ).toEqual(["../a.js", "./b.js"]);
  });

  it("no source file reaches past another room's index", () => {
    const problems: string[] = [];
    for (const top of [...APPS, ...SHARED]) {
      for (const file of sourceFiles(top)) {
        for (const specifier of relativeImports(readFileSync(path.join(ROOT, file), "utf8"))) {
          const target = path
            .relative(ROOT, path.resolve(ROOT, path.dirname(file), specifier))
            .split(path.sep)
            .join("/")
            .replace(/\.js$/, ".ts");
          const problem = boundaryProblem(file, target);
          if (problem !== undefined) problems.push(`${file}: ${problem}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });
});
