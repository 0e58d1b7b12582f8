/**
 * A small, dependency-free SVG line chart: one or more series of (x, y) points,
 * linear or log-10 axes, labelled ticks and a legend. Enough for "latency against
 * corpus size"; nothing more.
 */

export interface Series {
  name: string;
  points: { x: number; y: number }[];
  /** Any CSS colour; a palette is used when omitted. */
  color?: string;
}

export interface LineChart {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  logX?: boolean;
  logY?: boolean;
  /** A horizontal reference line, e.g. a latency target. */
  threshold?: { y: number; label: string };
  width?: number;
  height?: number;
}

const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b'];
const MARGIN = { top: 48, right: 200, bottom: 56, left: 72 };

export function renderLineChart(chart: LineChart): string {
  const width = chart.width ?? 800;
  const height = chart.height ?? 420;
  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = height - MARGIN.top - MARGIN.bottom;
  const points = chart.series.flatMap((s) => s.points).filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  const ys = points.map((p) => p.y).concat(chart.threshold ? [chart.threshold.y] : []);
  const xAxis = axis(
    points.map((p) => p.x),
    chart.logX ?? false,
  );
  const yAxis = axis(ys, chart.logY ?? false, !(chart.logY ?? false));
  const sx = (x: number) => MARGIN.left + xAxis.scale(x) * plotW;
  const sy = (y: number) => MARGIN.top + plotH - yAxis.scale(y) * plotH;

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12" role="img">`,
    `<title>${escapeXml(chart.title)}</title>`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="24" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(chart.title)}</text>`,
  );
  for (const tick of yAxis.ticks) {
    const y = sy(tick);
    out.push(
      `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${fmt(y)}" y2="${fmt(y)}" stroke="#e5e5e5"/>`,
      `<text x="${MARGIN.left - 6}" y="${fmt(y + 4)}" text-anchor="end">${label(tick)}</text>`,
    );
  }
  for (const tick of xAxis.ticks) {
    const x = sx(tick);
    out.push(
      `<line x1="${fmt(x)}" x2="${fmt(x)}" y1="${MARGIN.top}" y2="${MARGIN.top + plotH}" stroke="#e5e5e5"/>`,
      `<text x="${fmt(x)}" y="${MARGIN.top + plotH + 16}" text-anchor="middle">${label(tick)}</text>`,
    );
  }
  out.push(
    `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#444"/>`,
    `<text x="${MARGIN.left + plotW / 2}" y="${height - 14}" text-anchor="middle">${escapeXml(chart.xLabel)}</text>`,
    `<text transform="translate(18 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle">${escapeXml(chart.yLabel)}</text>`,
  );
  if (chart.threshold) {
    const y = sy(chart.threshold.y);
    out.push(
      `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${fmt(y)}" y2="${fmt(y)}" stroke="#d62728" stroke-dasharray="6 4"/>`,
      `<text x="${MARGIN.left + plotW - 4}" y="${fmt(y - 5)}" text-anchor="end" fill="#d62728">${escapeXml(chart.threshold.label)}</text>`,
    );
  }
  chart.series.forEach((series, index) => {
    const color = series.color ?? PALETTE[index % PALETTE.length]!;
    const valid = series.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
    if (valid.length > 1) {
      const path = valid.map((p, i) => `${i === 0 ? 'M' : 'L'}${fmt(sx(p.x))},${fmt(sy(p.y))}`).join(' ');
      out.push(`<path d="${path}" fill="none" stroke="${color}" stroke-width="2"/>`);
    }
    for (const p of valid) {
      out.push(
        `<circle cx="${fmt(sx(p.x))}" cy="${fmt(sy(p.y))}" r="3.5" fill="${color}"><title>${escapeXml(series.name)}: ${label(p.y)} at ${label(p.x)}</title></circle>`,
      );
    }
    const ly = MARGIN.top + 10 + index * 20;
    const lx = MARGIN.left + plotW + 16;
    out.push(
      `<line x1="${lx}" x2="${lx + 22}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="2"/>`,
      `<text x="${lx + 28}" y="${ly + 4}">${escapeXml(series.name)}</text>`,
    );
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

interface Axis {
  scale(value: number): number;
  ticks: number[];
}

function axis(values: number[], log: boolean, fromZero = false): Axis {
  const finite = values.filter((v) => Number.isFinite(v) && (!log || v > 0));
  if (finite.length === 0) return { scale: () => 0.5, ticks: [] };
  if (log) {
    const lo = Math.floor(Math.log10(Math.min(...finite)));
    let hi = Math.ceil(Math.log10(Math.max(...finite)));
    if (hi === lo) hi = lo + 1;
    const ticks: number[] = [];
    for (let e = lo; e <= hi; e++) ticks.push(10 ** e);
    return { scale: (v) => (Math.log10(v) - lo) / (hi - lo), ticks };
  }
  const min = fromZero ? Math.min(0, ...finite) : Math.min(...finite);
  const max = Math.max(...finite);
  const step = niceStep((max - min || Math.abs(max) || 1) / 5);
  const lo = Math.floor(min / step) * step;
  const hi = Math.max(Math.ceil(max / step) * step, lo + step);
  const ticks: number[] = [];
  for (let v = lo; v <= hi + step / 2; v += step) ticks.push(Number(v.toPrecision(12)));
  return { scale: (v) => (v - lo) / (hi - lo), ticks };
}

function niceStep(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(raw));
  const fraction = raw / power;
  return (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10) * power;
}

function label(value: number): string {
  if (Math.abs(value) >= 1000) return value.toLocaleString('en-US', { maximumFractionDigits: 0 });
  return String(Number(value.toPrecision(3)));
}

function fmt(value: number): string {
  return value.toFixed(1);
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
