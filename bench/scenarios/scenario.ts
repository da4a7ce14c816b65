/** The shape every benchmark scenario has. */
import type { BenchOptions } from "../lib/options.js";
import type { Row } from "../lib/table.js";

/** What a scenario gets from the runner. */
export interface ScenarioContext {
  readonly options: BenchOptions;
  /** Prints a table row at once and keeps it for the JSON results. */
  emit(row: Row): void;
  /** A progress line on stderr (stdout carries only the table). */
  log(message: string): void;
  /** Directory for receiver CPU profiles when `options.profile` is set. */
  readonly profileDir?: string;
}

/** A self-contained benchmark: starts what it needs, stops it, emits rows. */
export interface Scenario {
  /** Name used on the command line. */
  readonly name: string;
  /** One line saying what it measures. */
  readonly title: string;
  /** Runs the scenario; resolves with raw data for the JSON results file. */
  run(context: ScenarioContext): Promise<unknown>;
}
