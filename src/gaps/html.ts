/**
 * The gaps report as one self-contained HTML file a docs team can open or attach:
 * a table of the clusters and a chart of gap volume per day, drawn by Chart.js,
 * whose UMD build is inlined (no network needed to view it).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { counted } from '../plural.ts';
import { reasonsText } from './markdown.ts';
import type { GapCluster, GapsReport } from './report.ts';

let chartJs: string | undefined;

/** Chart.js's minified UMD build, read from the installed package. */
function chartLibrary(): string {
  if (chartJs === undefined) {
    // The package exports only its module entry; the UMD build sits beside it in dist/.
    const entry = createRequire(import.meta.url).resolve('chart.js');
    chartJs = readFileSync(join(dirname(entry), 'chart.umd.min.js'), 'utf8');
  }
  return chartJs;
}

export function renderHtml(report: GapsReport): string {
  const data = {
    labels: report.volume.map((v) => v.day),
    gaps: report.volume.map((v) => v.gaps),
    questions: report.volume.map((v) => v.questions),
  };
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>askdocs coverage gaps since ${escapeHtml(report.since.slice(0, 10))}</title>
<style>
  body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px; color: #1f2328; max-width: 1200px; }
  h1 { font-size: 22px; margin: 0 0 4px; }
  .summary { color: #57606a; margin: 0 0 16px; }
  .chart { height: 220px; max-width: 900px; margin-bottom: 20px; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; vertical-align: top; padding: 8px; border-bottom: 1px solid #d0d7de; }
  th { background: #f6f8fa; font-weight: 600; }
  td.num { text-align: right; white-space: nowrap; }
  ul { margin: 0; padding-left: 18px; }
  code { font-size: 12px; background: #f6f8fa; padding: 1px 4px; border-radius: 4px; }
  .muted { color: #57606a; }
  .fixed { display: inline-block; margin-top: 4px; background: #dafbe1; color: #116329; padding: 1px 6px; border-radius: 10px; font-size: 12px; }
  .score { color: #57606a; font-size: 12px; }
</style>
</head>
<body>
<h1>Coverage gaps</h1>
<p class="summary">Since ${escapeHtml(report.since.slice(0, 10))} (generated ${escapeHtml(report.generatedAt.slice(0, 16).replace('T', ' '))} UTC):
${report.totals.questions} questions logged, ${report.totals.gaps} gaps (abstained, 👎 or low relevance),
${counted(report.clusters.length, 'cluster')} of at least ${counted(report.minSize, 'question')}${report.totals.unclustered > 0 ? `; ${report.totals.unclustered} gap questions asked once are not shown` : ''}.</p>
<div class="chart"><canvas id="volume" aria-label="Gap questions per day" role="img"></canvas></div>
${report.clusters.length === 0 ? '<p id="no-gaps">No coverage gaps found in this window.</p>' : clusterTable(report.clusters)}
<script type="application/json" id="volume-data">${jsonForScript(data)}</script>
<script>${chartLibrary().replace(/<\/script/gi, '<\\/script')}</script>
<script>
(function () {
  var data = JSON.parse(document.getElementById('volume-data').textContent);
  window.gapsChart = new Chart(document.getElementById('volume'), {
    data: {
      labels: data.labels,
      datasets: [
        { type: 'bar', label: 'Gap questions', data: data.gaps, backgroundColor: '#cf222e', order: 2 },
        { type: 'line', label: 'All questions', data: data.questions, borderColor: '#0969da', backgroundColor: '#0969da', pointRadius: 2, order: 1 }
      ]
    },
    options: {
      animation: false,
      maintainAspectRatio: false,
      scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
      plugins: { title: { display: true, text: 'Questions per day' } }
    }
  });
})();
</script>
</body>
</html>
`;
}

function clusterTable(clusters: GapCluster[]): string {
  const rows = clusters.map(
    (c) => `<tr class="cluster">
  <td class="num">${c.rank}</td>
  <td><strong>${escapeHtml(c.representative)}</strong>${
    c.examples.length > 0 ? `<ul>${c.examples.map((e) => `<li>${escapeHtml(e)}</li>`).join('')}</ul>` : ''
  }${
    c.maybeFixedBy
      ? `<div class="fixed">maybe fixed by ${escapeHtml(c.maybeFixedBy.path)} (${c.maybeFixedBy.nowAnswered}/${c.maybeFixedBy.checked} now answered)</div>`
      : ''
  }</td>
  <td class="num">${c.count}<div class="muted">${counted(c.askers, 'asker')}</div></td>
  <td>${escapeHtml(c.platforms.join(', '))}<div class="muted">${escapeHtml(reasonsText(c))}</div><div class="muted">last ${escapeHtml(c.lastAsked.slice(0, 10))}</div></td>
  <td>${
    c.closest.length === 0
      ? '<span class="muted">nothing close</span>'
      : `<ul>${c.closest.map((p) => `<li>${pageLink(p)}${p.headingPath.length > 0 ? ` <span class="muted">› ${escapeHtml(p.headingPath.join(' › '))}</span>` : ''} <span class="score">${p.score.toFixed(2)}</span></li>`).join('')}</ul>`
  }</td>
  <td>${escapeHtml(c.suggestion)}</td>
</tr>`,
  );
  return `<table id="clusters">
<thead><tr><th>#</th><th>Question (representative, then examples)</th><th>Asked</th><th>Where</th><th>Closest pages</th><th>Suggestion</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>`;
}

function pageLink(page: { path: string; url?: string }): string {
  const code = `<code>${escapeHtml(page.path)}</code>`;
  return page.url && /^https?:\/\//.test(page.url) ? `<a href="${escapeHtml(page.url)}">${code}</a>` : code;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** JSON safe inside a <script> element. */
function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}
