/**
 * `npm run chaos [-- --only cluster,sqlite,…]`: the chaos suite (issue #18).
 * Compiles dist/, then runs each scenario against real processes on
 * 127.0.0.1 under steady ingest, injects its faults, waits until every
 * webhook answered 200 reached the target, and prints one markdown table:
 * fault, webhooks answered 200, delivered, lost, duplicated, 503s, other
 * answers (no answer: the receiver was down), time to recover. The exit
 * code is 0 only when no row lost a webhook and every fault recovered.
 * Progress goes to stderr, the table to stdout.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { stopEverything, stopEverythingOnSignals } from "../lib/children.js";
import { type ChaosRow, Ledger } from "./ledger.js";
import { clusterScenario } from "./scenarios/cluster.js";
import { diskFullScenario } from "./scenarios/disk-full.js";
import { natsOutageScenario } from "./scenarios/nats-outage.js";
import { networkCutScenario } from "./scenarios/network-cut.js";
import { type ChaosScenario, ScenarioSkipped } from "./scenarios/scenario.js";
import { sqliteKillsScenario } from "./scenarios/sqlite-kills.js";
import { targetErrorsScenario } from "./scenarios/target-errors.js";
import { formatTable, rowPassed } from "./table.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

const SCENARIOS: readonly ChaosScenario[] = [
  clusterScenario,
  sqliteKillsScenario,
  natsOutageScenario,
  targetErrorsScenario,
  networkCutScenario,
  diskFullScenario,
];

function log(message: string): void {
  process.stderr.write(`chaos: ${new Date().toISOString().slice(11, 19)} ${message}\n`);
}

function build(): void {
  log("compiling dist/ (tsc -p tsconfig.build.json)");
  const tsc = join(ROOT, "node_modules", "typescript", "bin", "tsc");
  spawnSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], { cwd: ROOT, stdio: "ignore" });
  if (!existsSync(join(ROOT, "dist", "receiver", "main.js"))) {
    throw new Error("dist/receiver/main.js is missing after the build");
  }
}

function selected(argv: readonly string[]): readonly ChaosScenario[] {
  const index = argv.indexOf("--only");
  if (index === -1) return SCENARIOS;
  const names = (argv[index + 1] ?? "").split(",").filter((name) => name !== "");
  const unknown = names.filter((name) => !SCENARIOS.some((s) => s.name === name));
  if (names.length === 0 || unknown.length > 0) {
    throw new Error(
      `--only takes scenario names among ${SCENARIOS.map((s) => s.name).join(", ")}${unknown.length > 0 ? `; unknown: ${unknown.join(", ")}` : ""}`,
    );
  }
  return SCENARIOS.filter((s) => names.includes(s.name));
}

async function runScenario(scenario: ChaosScenario): Promise<ChaosRow[]> {
  const ledger = new Ledger();
  const started = Date.now();
  log(`scenario ${scenario.name}`);
  try {
    await scenario.run(ledger, (message) => log(`  ${scenario.name}: ${message}`));
  } catch (error) {
    const skipped = error instanceof ScenarioSkipped;
    log(`  ${scenario.name}: ${skipped ? "skipped" : "failed"}: ${(error as Error).stack}`);
    const note = `${skipped ? "skipped" : "failed"}: ${(error as Error).message.split("\n")[0]}`;
    for (const row of scenario.rows) ledger.note(row, note);
    if (skipped) return ledger.rows(scenario.rows).map((row) => ({ ...row, note }));
  }
  for (const line of ledger.failureWindows()) log(`  ${scenario.name}: ${line}`);
  log(`  ${scenario.name}: done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return ledger.rows(scenario.rows);
}

async function main(): Promise<number> {
  const scenarios = selected(process.argv.slice(2));
  stopEverythingOnSignals();
  build();
  const started = Date.now();
  const rows: ChaosRow[] = [];
  try {
    for (const scenario of scenarios) rows.push(...(await runScenario(scenario)));
  } finally {
    await stopEverything();
  }
  const passed = rows.every(rowPassed);
  process.stdout.write(`${formatTable(rows)}\n`);
  log(
    `${passed ? "passed" : "FAILED"}: ${rows.reduce((n, row) => n + row.lost, 0)} lost in ${rows.length} rows, ${((Date.now() - started) / 1000).toFixed(0)} s`,
  );
  return passed ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    log(`error: ${(error as Error).message}`);
    process.exit(2);
  },
);
