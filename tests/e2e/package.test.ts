/**
 * The npm package (issue 16): `npm pack` holds the compiled dist/, so the
 * installed command starts at once with no TypeScript compile, plus the
 * LICENSE that package.json names; tests, benchmarks and sources stay out.
 * The first test takes the package's dependencies from this checkout's
 * node_modules (the registry is not asked) and needs `npm run build` first,
 * as `npm test` does. The second does what a user does: `npm pack` (which
 * runs `prepare`, the TypeScript build) and `npm install` of the tarball
 * into an empty project, from npm's cache when it can (`--prefer-offline`;
 * after `npm ci` everything is there).
 */
import { execFile, execFileSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
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

  it("installs from its npm pack tarball and runs the installed command", async () => {
    const dir = tempDir("wc-install-");
    // Packed from a copy of the checkout's files, so that `prepare` (no
    // --ignore-scripts: it compiles dist/ as for a release) does not rewrite
    // the dist/ other test files run at the same time.
    const source = join(dir, "source");
    const { stdout: listed } = await run(
      "git",
      ["ls-files", "-z", "--cached", "--others", "--exclude-standard"],
      ROOT,
    );
    for (const path of listed.split("\0")) {
      if (path === "" || !existsSync(join(ROOT, path))) continue;
      mkdirSync(dirname(join(source, path)), { recursive: true });
      copyFileSync(join(ROOT, path), join(source, path));
    }
    symlinkSync(join(ROOT, "node_modules"), join(source, "node_modules"), "dir");
    const { stdout } = await run("npm", ["pack", "--json", "--pack-destination", dir], source);
    const { filename, version } = (
      JSON.parse(stdout.slice(stdout.indexOf("["))) as { filename: string; version: string }[]
    )[0]!;
    const app = join(dir, "app");
    mkdirSync(app);
    writeFileSync(join(app, "package.json"), '{"name":"wc-install-check","private":true}\n');
    // --ignore-scripts skips the dependencies' native builds (better-sqlite3
    // compiles SQLite from source when no prebuilt binary can be downloaded,
    // minutes and network): neither command below loads a native addon.
    await run(
      "npm",
      [
        "install",
        "--no-audit",
        "--no-fund",
        "--prefer-offline",
        "--ignore-scripts",
        join(dir, filename),
      ],
      app,
    );
    const installed = join(app, "node_modules", "webhook-connect");
    // Nothing to compile TypeScript with, and no TypeScript to compile.
    expect(existsSync(join(app, "node_modules", "typescript"))).toBe(false);
    expect(existsSync(join(app, "node_modules", "tsx"))).toBe(false);
    expect(sourceFiles(installed)).toEqual([]);

    const command = join(app, "node_modules", ".bin", "webhook-connect");
    const versionRun = runProcess(command, ["--version"]);
    expect(await versionRun.exited).toBe(0);
    expect(versionRun.output()).toBe(`webhook-connect ${version}\n`);

    const help = runProcess(command, ["connector", "--help"]);
    expect(await help.exited).toBe(0);
    expect(help.output()).toContain("Usage: webhook-connect connector");
    expect(help.output()).toContain("--forward-to");
  }, 240_000);
});

const execFileAsync = promisify(execFile);

/** Runs `file` in `cwd`; rejects with its output when it fails. */
async function run(file: string, args: string[], cwd: string) {
  try {
    return await execFileAsync(file, args, { cwd, encoding: "utf8", maxBuffer: 64 << 20 });
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${file} ${args.join(" ")} failed: ${failed.message}\n${failed.stderr ?? ""}`);
  }
}

/** TypeScript sources (not declarations) under `dir`, outside node_modules. */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" }).filter(
    (path) =>
      !path.includes("node_modules") && /\.(ts|mts|cts)$/.test(path) && !/\.d\.[mc]?ts$/.test(path),
  );
}
