/**
 * Load generator process: sends 1 KiB (optionally HMAC-signed) JSON
 * webhooks as its parent asks, one run at a time.
 */
import type { LoadgenApi } from "./api.js";
import { type LoadRun, startLoadRun } from "./load-run.js";
import { serveWorker } from "./serve.js";

let background: LoadRun | undefined;

serveWorker<LoadgenApi>(
  {
    run: (plan) => startLoadRun(plan).done,
    start(plan) {
      if (background?.progress().running === true) throw new Error("a run is in progress");
      background = startLoadRun(plan);
      return null;
    },
    progress() {
      if (background === undefined) throw new Error("no run started");
      return background.progress();
    },
    finish() {
      if (background === undefined) throw new Error("no run started");
      return background.done;
    },
  },
  {},
);
