/**
 * The npm package (issue 16): `npm pack` holds the compiled dist/, so the
 * installed command starts at once with no TypeScript compile, plus the
 * LICENSE that package.json names; tests, benchmarks and sources stay out.
 * The package's dependencies come from this checkout's node_modules (the
 * registry is not asked). Needs `npm run build` first, as `npm test` does.
 */
import { execFileSync } from "node:child_process";
import { existsSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { runProcess, tempDir } from "../helpers/processes.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

describe("npm package", () => {
  it("packs the compiled command, which prints its version at once", async () => {
    if (!existsSync(join(ROOT, "dist", "connector", "main.js"))) {
      throw new Error("dist/ is missing: run `npm run build` first (npm test does)");
    }
    const dir = tempDir("wc-pack-");
    const packed = JSON.parse(
      execFileSync("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", dir], {
        cwd: ROOT,
        encoding: "utf8",
        stdio: ["ignore", "pipe", "ignore"],
      }),
    ) as { filename: string; files: { path: string }[]; version: string }[];
    const { filename, files, version } = packed[0]!;
    const paths = files.map((file) => file.path);
    expect(paths).toContain("LICENSE");
    expect(paths).toContain("bin/webhook-connect.js");
    expect(paths).toContain("dist/connector/main.js");
    expect(paths).toContain("dist/receiver/main.js");
    expect(paths.filter((path) => /^(tests|bench|connector|receiver)\//.test(path))).toEqual([]);
    expect(paths.filter((path) => path.endsWith(".ts") && !path.endsWith(".d.ts"))).toEqual([]);

    execFileSync("tar", ["-xzf", join(dir, filename), "-C", dir]);
    const installed = join(dir, "package");
    symlinkSync(join(ROOT, "node_modules"), join(installed, "node_modules"), "dir");
    const started = performance.now();
    const run = runProcess(process.execPath, [
      join(installed, "bin", "webhook-connect.js"),
      "--version",
    ]);
    expect(await run.exited).toBe(0);
    expect(run.output()).toBe(`webhook-connect ${version}\n`);
    expect(performance.now() - started).toBeLessThan(5_000);

    const help = runProcess(process.execPath, [
      join(installed, "bin", "webhook-connect.js"),
      "connector",
      "--help",
    ]);
    expect(await help.exited).toBe(0);
    expect(help.output()).toContain("--forward-to");
  }, 30_000);
});
