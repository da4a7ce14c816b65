/**
 * `npm run bench [-- scenario … --quick …]`: compiles dist/, runs the
 * chosen scenarios one after the other, prints one markdown table on
 * stdout (progress goes to stderr) and writes one JSON file per scenario
 * under bench/results/. Every process a scenario started is stopped when
 * it ends, fails or is interrupted.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { stopEverything, stopEverythingOnSignals } from "./lib/children.js";
import { type BenchOptions, benchUsage, parseBenchOptions } from "./lib/options.js";
import { topFrames } from "./lib/profile.js";
import { formatRow, type Row, tableHeader } from "./lib/table.js";
import { type ScenarioContext, scenarios } from "./scenarios/index.js";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const RESULTS = join(ROOT, "bench", "results");

function log(message: string): void {
  process.stderr.write(`bench: ${message}\n`);
}

/** Compiles dist/; a type error elsewhere in the tree still emits, so only a missing CLI stops us. */
function build(): void {
  log("compiling dist/ (tsc -p tsconfig.build.json)");
  const tsc = join(ROOT, "node_modules", "typescript", "bin", "tsc");
  const result = spawnSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], {
    cwd: ROOT,
    encoding: "utf8",
  });
  if (result.status !== 0) {
    const errors = result.stdout.split("\n").filter((line) => line.includes("error TS")).length;
    log(`tsc reported ${errors} error(s); benchmarking the JavaScript it emitted anyway`);
  }
  if (!existsSync(join(ROOT, "dist", "receiver", "main.js"))) {
    throw new Error("dist/receiver/main.js is missing after the build");
  }
}

function machineLine(): string {
  const [one, five] = loadavg();
  return `${cpus().length} CPU(s) ${cpus()[0]?.model ?? ""}, load average ${one?.toFixed(2)} / ${five?.toFixed(2)}, Node ${process.version}`;
}

function printProfiles(dir: string): void {
  if (!existsSync(dir)) return;
  for (const file of readdirSync(dir).filter((name) => name.endsWith(".cpuprofile"))) {
    log(`top self-time frames of ${join(dir, file)}:`);
    for (const frame of topFrames(join(dir, file), 15, ROOT)) {
      log(`  ${frame.percent.toFixed(1).padStart(5)}%  ${frame.frame}`);
    }
  }
}

async function runAll(options: BenchOptions): Promise<number> {
  if (options.build) build();
  mkdirSync(RESULTS, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const profileDir = options.profile ? join(RESULTS, "profiles", stamp) : undefined;
  log(`${options.quick ? "quick run" : "full run"}; ${machineLine()}`);
  process.stdout.write(`${tableHeader()}\n`);
  let failures = 0;
  for (const name of options.scenarios) {
    const scenario = scenarios.get(name)!;
    const rows: Row[] = [];
    const context: ScenarioContext = {
      options,
      emit(row) {
        rows.push(row);
        process.stdout.write(`${formatRow(row)}\n`);
      },
      log,
      ...(profileDir === undefined ? {} : { profileDir }),
    };
    const startedAt = new Date();
    const loadBefore = loadavg();
    log(`scenario ${name}: ${scenario.title}`);
    let data: unknown;
    let error: string | undefined;
    try {
      data = await scenario.run(context);
    } catch (caught) {
      failures++;
      error = (caught as Error).stack ?? String(caught);
      log(`scenario ${name} failed: ${error}`);
      context.emit({
        scenario: name,
        configuration: "–",
        result: "**failed**",
        baseline: "–",
        notes: ((caught as Error).message.split("\n")[0] ?? "").slice(0, 160),
        cpu: {},
      });
    } finally {
      await stopEverything();
    }
    const file = join(RESULTS, `${name}-${stamp}.json`);
    const record = {
      scenario: name,
      title: scenario.title,
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      machine: { cpus: cpus().length, loadBefore, loadAfter: loadavg(), node: process.version },
      options,
      rows,
      data,
      ...(error === undefined ? {} : { error }),
    };
    writeFileSync(
      file,
      `${JSON.stringify(record, (_k, v) => (typeof v === "bigint" ? String(v) : v), 2)}\n`,
    );
    log(
      `scenario ${name} done in ${((Date.now() - startedAt.getTime()) / 1000).toFixed(0)} s → ${file}`,
    );
  }
  if (profileDir !== undefined) printProfiles(profileDir);
  return failures === 0 ? 0 : 1;
}

let options: BenchOptions;
try {
  options = parseBenchOptions(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`bench: ${(error as Error).message}\n\n${benchUsage}\n`);
  process.exit(2);
}
if (options.help) {
  process.stdout.write(`${benchUsage}\n`);
  process.exit(0);
}
stopEverythingOnSignals();
process.exitCode = await runAll(options).catch(async (error: unknown) => {
  log(`failed: ${(error as Error).stack ?? String(error)}`);
  await stopEverything();
  return 1;
});
