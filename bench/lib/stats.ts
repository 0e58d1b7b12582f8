/**
 * Summary statistics for benchmark samples, and ratios against a baseline.
 * Percentiles use the nearest-rank method: p99 of 100 samples is the 99th smallest,
 * so a reported percentile is always a latency that was really observed.
 */

export interface Summary {
  n: number;
  mean: number;
  min: number;
  max: number;
  p50: number;
  p95: number;
  p99: number;
}

export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) {
    return { n: 0, mean: Number.NaN, min: Number.NaN, max: Number.NaN, p50: Number.NaN, p95: Number.NaN, p99: Number.NaN };
  }
  const sum = samples.reduce((total, x) => total + x, 0);
  return {
    n: samples.length,
    mean: round(sum / samples.length),
    min: round(Math.min(...samples)),
    max: round(Math.max(...samples)),
    p50: round(percentile(samples, 50)),
    p95: round(percentile(samples, 95)),
    p99: round(percentile(samples, 99)),
  };
}

/** value / baseline, or null when the ratio means nothing (missing or zero baseline). */
export function ratio(value: number | null | undefined, baseline: number | null | undefined): number | null {
  if (value == null || baseline == null || !Number.isFinite(value) || !Number.isFinite(baseline) || baseline === 0) {
    return null;
  }
  return Number((value / baseline).toPrecision(4));
}

export function round(value: number, digits = 2): number {
  if (!Number.isFinite(value)) return value;
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** Milliseconds since `start` (a `performance.now()` reading). */
export function msSince(start: number): number {
  return performance.now() - start;
}
