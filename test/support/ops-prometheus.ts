/**
 * A strict parser for the Prometheus text exposition format 0.0.4, for tests: it
 * throws on any line a Prometheus server would reject, and checks the rules a
 * scraper relies on (one TYPE per family, before its samples; histogram buckets
 * cumulative, ending in `+Inf` equal to `_count`).
 * Spec: https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface MetricFamily {
  name: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  help?: string;
  samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

export function parsePrometheusText(text: string): Map<string, MetricFamily> {
  const families = new Map<string, MetricFamily>();
  const sampled = new Set<string>();
  const lines = text.split('\n');
  if (lines.at(-1) !== '') throw new Error('exposition must end with a line feed');

  lines.forEach((line, index) => {
    const where = `line ${index + 1}: ${JSON.stringify(line)}`;
    if (line === '') return;
    if (line.startsWith('#')) {
      const match = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (!match) return; // other comments are allowed
      const [, keyword, name, rest] = match as unknown as [string, string, string, string];
      if (!METRIC_NAME.test(name)) throw new Error(`bad metric name, ${where}`);
      const family = familyOf(families, name);
      if (keyword === 'TYPE') {
        if (!TYPES.has(rest)) throw new Error(`unknown type, ${where}`);
        if (family.typed) throw new Error(`second TYPE for ${name}, ${where}`);
        if (sampled.has(name)) throw new Error(`TYPE after samples of ${name}, ${where}`);
        family.type = rest as MetricFamily['type'];
        family.typed = true;
      } else {
        if (family.help !== undefined) throw new Error(`second HELP for ${name}, ${where}`);
        family.help = rest;
      }
      return;
    }
    const sample = parseSample(line, where);
    const family = families.get(familyName(sample.name, families)) ?? familyOf(families, sample.name);
    sampled.add(family.name);
    family.samples.push(sample);
  });

  for (const family of families.values()) {
    if (family.type === 'histogram') checkHistogram(family);
    delete (family as { typed?: boolean }).typed;
  }
  return families;
}

type MutableFamily = MetricFamily & { typed?: boolean };

function familyOf(families: Map<string, MetricFamily>, name: string): MutableFamily {
  let family = families.get(name) as MutableFamily | undefined;
  if (!family) {
    family = { name, type: 'untyped', samples: [] };
    families.set(name, family);
  }
  return family;
}

/** `x_bucket`, `x_sum`, `x_count` belong to the histogram/summary family `x`. */
function familyName(sampleName: string, families: Map<string, MetricFamily>): string {
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (sampleName.endsWith(suffix)) {
      const base = sampleName.slice(0, -suffix.length);
      const type = families.get(base)?.type;
      if (type === 'histogram' || type === 'summary') return base;
    }
  }
  return sampleName;
}

function parseSample(line: string, where: string): Sample {
  const nameMatch = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line);
  if (!nameMatch) throw new Error(`bad sample name, ${where}`);
  const name = nameMatch[0];
  let rest = line.slice(name.length);
  const labels: Record<string, string> = {};
  if (rest.startsWith('{')) {
    rest = rest.slice(1);
    while (!rest.startsWith('}')) {
      const label = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"/.exec(rest);
      if (!label || !LABEL_NAME.test(label[1]!)) throw new Error(`bad label, ${where}`);
      if (label[1]! in labels) throw new Error(`duplicate label ${label[1]}, ${where}`);
      labels[label[1]!] = label[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
      rest = rest.slice(label[0].length);
      if (rest.startsWith(',')) rest = rest.slice(1);
      else if (!rest.startsWith('}')) throw new Error(`expected , or } in labels, ${where}`);
    }
    rest = rest.slice(1);
  }
  const valueMatch = /^ (\S+)(?: (-?\d+))?$/.exec(rest);
  if (!valueMatch) throw new Error(`bad value or timestamp, ${where}`);
  return { name, labels, value: parseValue(valueMatch[1]!, where) };
}

function parseValue(text: string, where: string): number {
  if (text === '+Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  if (text === 'NaN') return Number.NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`bad number ${text}, ${where}`);
  return Number(text);
}

function checkHistogram(family: MetricFamily): void {
  const series = new Map<string, { buckets: [number, number][]; count?: number; sum?: number }>();
  for (const sample of family.samples) {
    const { le, ...rest } = sample.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    const entry = series.get(key) ?? { buckets: [] };
    series.set(key, entry);
    if (sample.name === `${family.name}_bucket`) {
      if (le === undefined) throw new Error(`${family.name}: bucket without le`);
      entry.buckets.push([parseValue(le, `${family.name} le`), sample.value]);
    } else if (sample.name === `${family.name}_count`) entry.count = sample.value;
    else if (sample.name === `${family.name}_sum`) entry.sum = sample.value;
    else throw new Error(`${family.name}: unexpected sample ${sample.name}`);
  }
  for (const [key, entry] of series) {
    const where = `${family.name}${key}`;
    if (entry.count === undefined || entry.sum === undefined) throw new Error(`${where}: missing _count or _sum`);
    const last = entry.buckets.at(-1);
    if (!last || last[0] !== Number.POSITIVE_INFINITY) throw new Error(`${where}: no +Inf bucket`);
    if (last[1] !== entry.count) throw new Error(`${where}: +Inf bucket ${last[1]} != count ${entry.count}`);
    for (let i = 1; i < entry.buckets.length; i++) {
      const [prevLe, prevCount] = entry.buckets[i - 1]!;
      const [le, count] = entry.buckets[i]!;
      if (le <= prevLe) throw new Error(`${where}: bucket bounds not increasing`);
      if (count < prevCount) throw new Error(`${where}: buckets not cumulative`);
    }
  }
}

/** The value of one sample, matched by name and a subset of its labels. */
export function sampleValue(families: Map<string, MetricFamily>, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const family of families.values()) {
    for (const sample of family.samples) {
      if (sample.name !== name) continue;
      if (Object.entries(labels).every(([k, v]) => sample.labels[k] === v)) return sample.value;
    }
  }
  return undefined;
}
