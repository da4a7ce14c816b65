/**
 * Reads a V8 `.cpuprofile` (written by `node --cpu-prof`) and lists the
 * functions with the most self time, to see where a receiver spends its CPU.
 */
import { readFileSync } from "node:fs";
import { relative } from "node:path";

interface ProfileNode {
  readonly id: number;
  readonly callFrame: {
    readonly functionName: string;
    readonly url: string;
    readonly lineNumber: number;
  };
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** One function's share of the profile. */
export interface ProfileFrame {
  /** `name (file:line)`. */
  readonly frame: string;
  /** Self time in ms. */
  readonly selfMs: number;
  /** Self time as a share of all samples, 0–100. */
  readonly percent: number;
}

/** The `limit` functions with the most self time in the profile at `path`. */
export function topFrames(path: string, limit = 15, root = process.cwd()): ProfileFrame[] {
  const profile = JSON.parse(readFileSync(path, "utf8")) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<string, number>();
  let totalUs = 0;
  profile.samples.forEach((id, index) => {
    const delta = profile.timeDeltas[index] ?? 0;
    const node = byId.get(id);
    if (node === undefined) return;
    const { functionName, url, lineNumber } = node.callFrame;
    const file = url === "" ? "" : relative(root, url.replace(/^file:\/\//, ""));
    const key = `${functionName || "(anonymous)"}${file === "" ? "" : ` (${file}:${lineNumber + 1})`}`;
    selfUs.set(key, (selfUs.get(key) ?? 0) + delta);
    totalUs += delta;
  });
  return [...selfUs.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([frame, us]) => ({ frame, selfMs: us / 1000, percent: (us / totalUs) * 100 }));
}
