/** Percentiles and medians of benchmark samples. */

/** Latency summary in milliseconds. */
export interface LatencySummary {
  /** Samples summarised. */
  readonly count: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

/** The `p`-th percentile (0–100, nearest rank) of ascending `sorted`; NaN when empty. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))]!;
}

/** Summarises latency samples (ms); sorts a copy. */
export function summarizeLatency(samples: ArrayLike<number>): LatencySummary {
  const sorted = Float64Array.from(samples).sort();
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted.length === 0 ? Number.NaN : sorted[sorted.length - 1]!,
  };
}

/** The item whose `key` is the median (lower middle for an even count). */
export function medianBy<T>(items: readonly T[], key: (item: T) => number): T {
  if (items.length === 0) throw new Error("median of nothing");
  const sorted = [...items].sort((a, b) => key(a) - key(b));
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

/** A growable sample store that does not allocate per sample. */
export class SampleBuffer {
  #data = new Float64Array(1024);
  #length = 0;

  /** Number of samples. */
  get length(): number {
    return this.#length;
  }

  /** Adds one sample. */
  push(value: number): void {
    if (this.#length === this.#data.length) {
      const bigger = new Float64Array(this.#data.length * 2);
      bigger.set(this.#data);
      this.#data = bigger;
    }
    this.#data[this.#length++] = value;
  }

  /** The samples so far (a view, valid until the next push). */
  values(): Float64Array {
    return this.#data.subarray(0, this.#length);
  }

  /** Forgets every sample. */
  clear(): void {
    this.#length = 0;
  }
}
