/** The gaps report as Markdown (`--md`, and the terminal's default view). */
import { counted } from '../plural.ts';
import type { GapCluster, GapsReport } from './report.ts';

export function renderMarkdown(report: GapsReport): string {
  const lines = [
    `# Coverage gaps since ${report.since.slice(0, 10)}`,
    '',
    `${report.totals.questions} questions logged, ${report.totals.gaps} gaps (abstained, 👎 or low relevance), ` +
      `${counted(report.clusters.length, 'cluster')} of at least ${counted(report.minSize, 'question')}` +
      (report.totals.unclustered > 0 ? `; ${report.totals.unclustered} gap questions asked once, not shown.` : '.'),
    '',
  ];
  if (report.clusters.length === 0) lines.push('No coverage gaps found in this window.', '');
  for (const cluster of report.clusters) lines.push(...clusterLines(cluster), '');
  return `${lines.join('\n').trimEnd()}\n`;
}

function clusterLines(cluster: GapCluster): string[] {
  const lines = [
    `## ${cluster.rank}. ${oneLine(cluster.representative)}`,
    '',
    `- **Asked** ${cluster.count}× by ${counted(cluster.askers, 'asker')} (${cluster.platforms.join(', ')}), ` +
      `last ${cluster.lastAsked.slice(0, 10)}; ${reasonsText(cluster)}`,
  ];
  if (cluster.maybeFixedBy) {
    const fix = cluster.maybeFixedBy;
    lines.push(
      `- **Maybe fixed by** \`${fix.path}\`${headingText(fix.headingPath)} (${fix.nowAnswered} of ${fix.checked} questions now retrieve above the threshold)`,
    );
  }
  if (cluster.examples.length > 0) {
    lines.push('- **Examples**:');
    for (const example of cluster.examples) lines.push(`  - ${oneLine(example)}`);
  }
  if (cluster.closest.length === 0) {
    lines.push('- **Closest pages**: nothing close');
  } else {
    lines.push('- **Closest pages** (the docs touch this here):');
    for (const page of cluster.closest) {
      lines.push(`  - \`${page.path}\`${headingText(page.headingPath)} (${page.score.toFixed(2)})`);
    }
  }
  lines.push(`- **Suggestion**: ${cluster.suggestion}`);
  return lines;
}

export function reasonsText(cluster: GapCluster): string {
  const names = { abstained: 'abstained', downvoted: '👎', low_relevance: 'low relevance' } as const;
  return Object.entries(cluster.reasons)
    .map(([reason, n]) => `${n} ${names[reason as keyof typeof names]}`)
    .join(', ');
}

function headingText(headingPath: string[]): string {
  return headingPath.length > 0 ? ` › ${headingPath.join(' › ')}` : '';
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
