/**
 * The disk of the embedded buffer fills up: the buffer lives on a 16 MB
 * tmpfs (`min_free_bytes=2MiB`), and under steady ingest another file
 * takes the space until less than 1 MiB is left, for 10 s, then is
 * deleted. Ingest answers 503 meanwhile, acks keep working in the reserve,
 * and ingest resumes by itself; recovery is timed from the deletion.
 * Mounting needs root: without it the row is skipped with the reason.
 */
import { execFileSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, rmSync, statfsSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Ledger } from "../ledger.js";
import { startLoad } from "../load.js";
import { startChaosTarget } from "../target.js";
import { ChaosWorld, hold } from "../world.js";
import { type ChaosScenario, closeOnExit, ScenarioSkipped, stopAndDrain } from "./scenario.js";

const ROW = "SQLite: disk fills up for 10 s (16 MB tmpfs)";
const MiB = 1024 * 1024;

function mountTmpfs(): string {
  const dir = mkdtempSync(join(tmpdir(), "wc-chaos-disk-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=16m", "tmpfs", dir], { stdio: "pipe" });
    return dir;
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    const reason = (error as Error).message.split("\n")[0] ?? "mount failed";
    throw new ScenarioSkipped(`cannot mount a tmpfs (${reason}); run as root`);
  }
}

function freeBytes(dir: string): number {
  const stats = statfsSync(dir);
  return stats.bavail * stats.bsize;
}

/** Writes `path` until less than `leave` bytes are free on its file system; returns its size. */
function fill(path: string, dir: string, leave: number): number {
  const fd = openSync(path, "w");
  const chunk = Buffer.alloc(64 * 1024, 0x5a);
  let written = 0;
  try {
    while (freeBytes(dir) > leave) written += writeSync(fd, chunk);
  } catch {
    // ENOSPC: as full as it gets.
  } finally {
    closeSync(fd);
  }
  return written;
}

async function run(ledger: Ledger, log: (message: string) => void): Promise<void> {
  const disk = mountTmpfs();
  const unmount = closeOnExit(() => {
    execFileSync("umount", ["-l", disk]);
    rmSync(disk, { recursive: true, force: true });
  });
  const world = new ChaosWorld();
  const target = await startChaosTarget(ledger);
  try {
    const receiver = await world.receiver(
      "receiver",
      `sqlite:${join(disk, "buffer.db")}?min_free_bytes=2MiB`,
    );
    await world.connector("connector", receiver.url, target.url);
    ledger.row = ROW;
    const load = startLoad({ ledger, urls: () => [receiver.ingestUrl], rate: 60 });
    await hold(4_000);
    const fault = ledger.fault();
    const filler = join(disk, "filler");
    const size = fill(filler, disk, MiB);
    log(
      `filler took ${(size / MiB).toFixed(1)} MiB; ${(freeBytes(disk) / 1024).toFixed(0)} KiB free`,
    );
    await hold(10_000);
    rmSync(filler);
    fault.recoverFrom = Date.now();
    log("filler deleted");
    await hold(8_000);
    await stopAndDrain(ledger, load, log);
  } finally {
    await world.close();
    await target.close();
    await unmount();
  }
}

/** The disk of the embedded buffer filling up (issue #18, item 6). */
export const diskFullScenario: ChaosScenario = { name: "disk-full", rows: [ROW], run };
