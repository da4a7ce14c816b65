/** Every benchmark scenario, in the order `npm run bench` runs them. */
import { backlogScenario } from "./backlog.js";
import { ingestScenario } from "./ingest.js";
import { liveScenario } from "./live.js";
import { memoryScenario } from "./memory.js";
import { offlineScenario } from "./offline.js";
import type { Scenario } from "./scenario.js";

export type { Scenario, ScenarioContext } from "./scenario.js";

/** The scenarios by name. */
export const scenarios: ReadonlyMap<string, Scenario> = new Map(
  [ingestScenario, backlogScenario, liveScenario, memoryScenario, offlineScenario].map((s) => [
    s.name,
    s,
  ]),
);
