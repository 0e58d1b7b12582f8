/**
 * The shape of bench/results.json. Every headline number is a `Figure`: an absolute
 * value plus, for each baseline measured in the same run, the baseline's value and
 * the ratio value/baseline (and the difference, where points matter more than ratios).
 */
import { ratio, round } from './stats.ts';

export interface Against {
  /** What the baseline is: "baseline (b) notebook", "1× corpus", "idle bot", ... */
  label: string;
  value: number | null;
  ratio: number | null;
  /** value − baseline; reported for percentages, where "points above" is the target. */
  diff?: number | null;
}

export interface Figure {
  section: string;
  metric: string;
  unit: string;
  value: number | null;
  against: Against[];
}

export interface TargetCheck {
  target: string;
  actual: string;
  met: boolean | null;
  /** For a missed target: why, and what would reach it. */
  note?: string;
}

export type BenchMode = 'full' | 'quick' | 'smoke';

export interface MachineInfo {
  cores: number;
  cpuModel: string;
  memoryGiB: number;
  platform: string;
  arch: string;
  node: string;
  milvusLite: string;
  /** 1-minute load average when the run started and ended: other work on the machine skews timings. */
  loadAverage: { atStart: number; atEnd: number };
}

export interface BenchResults {
  schemaVersion: 1;
  date: string;
  mode: BenchMode;
  command: string;
  durationSeconds: number;
  machine: MachineInfo;
  corpus: { dir: string; files: number; bytes: number };
  evalSet: { path: string; items: number; byKind: Record<string, number> };
  embedding: { model: string; dimension: number };
  /** One entry per section that ran (quality, ingest, latency, answer, chat, memory). */
  sections: Record<string, unknown>;
  figures: Figure[];
  targets: TargetCheck[];
  /** Parts that could not be measured in this run, and why. */
  missing: string[];
  notes: string[];
}

/** A figure compared with zero or more baselines; `points` adds value − baseline. */
export function figure(
  section: string,
  metric: string,
  unit: string,
  value: number | null,
  baselines: { label: string; value: number | null | undefined }[] = [],
  options: { points?: boolean } = {},
): Figure {
  return {
    section,
    metric,
    unit,
    value: value == null || Number.isNaN(value) ? null : round(value, 4),
    against: baselines.map((b) => ({
      label: b.label,
      value: b.value == null || Number.isNaN(b.value) ? null : round(b.value, 4),
      ratio: ratio(value, b.value),
      ...(options.points ? { diff: value == null || b.value == null ? null : round(value - b.value, 4) } : {}),
    })),
  };
}
