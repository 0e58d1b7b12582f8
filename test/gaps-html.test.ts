/**
 * The HTML gaps report in a real headless Chromium (Debian's `chromium`, driven
 * by puppeteer-core): the file opens with no network, renders its table with one
 * row per cluster, and Chart.js draws the volume chart (the canvas has drawn
 * pixels, and the chart holds one point per day). A screenshot is taken and kept
 * beside the report for people to look at.
 *
 * scripts/test.sh installs chromium when it runs as root and it is missing; where
 * it still is not installed, this test skips and says so.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import puppeteer from 'puppeteer-core';
import { renderHtml } from '../src/gaps/html.ts';
import type { GapCluster, GapsReport } from '../src/gaps/report.ts';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((path) => existsSync(path));
const NO_CHROMIUM = CHROMIUM ? false : "needs Debian's chromium (apt-get install chromium; scripts/test.sh does it as root)";

function cluster(rank: number, representative: string, examples: string[], extra: Partial<GapCluster> = {}): GapCluster {
  const questions = [representative, ...examples];
  return {
    rank,
    representative,
    examples,
    questions,
    count: questions.length,
    askers: questions.length,
    platforms: ['discord', 'slack'],
    reasons: { abstained: questions.length },
    firstAsked: '2026-11-10T09:00:00.000Z',
    lastAsked: '2026-11-28T16:30:00.000Z',
    closest: [],
    suggestion: `Write a page that answers: "${representative}"`,
    items: [],
    ...extra,
  };
}

const REPORT: GapsReport = {
  generatedAt: '2026-12-01T12:00:00.000Z',
  since: '2026-11-01T12:00:00.000Z',
  minSize: 2,
  totals: { questions: 57, gaps: 12, clustered: 10, unclustered: 2 },
  volume: Array.from({ length: 30 }, (_, i) => ({
    day: new Date(Date.UTC(2026, 10, 2 + i)).toISOString().slice(0, 10),
    questions: 1 + (i % 4),
    gaps: i % 3 === 0 ? 1 : 0,
  })),
  clusters: [
    cluster(
      1,
      'is there a terraform provider for milvus?',
      ['can I manage collections with terraform', 'terraform module for an index?', 'milvus as code with terraform'],
      {
        maybeFixedBy: { path: 'integrations/terraform.md', headingPath: ['Terraform provider'], nowAnswered: 3, checked: 4 },
      },
    ),
    cluster(2, 'how do I import an Excel file?', ['load an excel spreadsheet into a collection', 'xlsx import <script>alert(1)</script>'], {
      closest: [
        {
          path: 'userGuide/insert-update-delete.md',
          headingPath: ['Insert, Upsert & Delete', 'Insert entities'],
          score: 0.41,
          url: 'https://example.org/docs/insert',
        },
      ],
    }),
    cluster(3, 'is there a GraphQL API?', ['graphql endpoint for queries']),
  ],
};

describe('HTML gaps report in headless Chromium', { skip: NO_CHROMIUM }, () => {
  it('renders its table and its Chart.js chart, offline, and takes a screenshot', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'askdocs-gaps-html-'));
    const file = join(dir, 'gaps.html');
    await writeFile(file, renderHtml(REPORT));
    const browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      // Root in CI has no user namespaces for Chromium's sandbox.
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    });
    try {
      const page = await browser.newPage();
      const requests: string[] = [];
      page.on('request', (request) => requests.push(request.url()));
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(String(error)));
      await page.setViewport({ width: 1200, height: 900 });
      await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });

      assert.deepEqual(errors, [], 'no script errors');
      assert.deepEqual(
        requests.filter((url) => !url.startsWith('file:')),
        [],
        'self-contained: nothing fetched from the network',
      );
      const table = await page.$$eval('#clusters tbody tr', (rows) =>
        rows.map((row) => [...row.querySelectorAll('td')].map((cell) => cell.textContent?.trim() ?? '')),
      );
      assert.equal(table.length, REPORT.clusters.length, 'one row per cluster');
      assert.match(table[0]![1]!, /terraform provider/);
      assert.match(table[0]![1]!, /maybe fixed by integrations\/terraform\.md/);
      assert.match(table[1]![4]!, /userGuide\/insert-update-delete\.md/);
      assert.match(table[2]![4]!, /nothing close/);
      assert.match(table[1]![1]!, /<script>alert\(1\)<\/script>/, 'question text is shown as text, not run');

      // Evaluated in the page (a string: the project's TypeScript has no DOM types).
      const chart = (await page.evaluate(`(() => {
        const canvas = document.getElementById('volume');
        const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        let drawn = 0;
        for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) drawn++;
        const instance = window.gapsChart;
        return {
          width: canvas.width,
          height: canvas.height,
          drawn,
          labels: instance ? instance.data.labels.length : 0,
          gaps: instance ? instance.data.datasets[0].data : [],
        };
      })()`)) as { width: number; height: number; drawn: number; labels: number; gaps: number[] };
      assert.ok(chart.width > 0 && chart.height > 0, 'the canvas has a size');
      assert.ok(chart.drawn > 500, `Chart.js drew on the canvas (${chart.drawn} pixels)`);
      assert.equal(chart.labels, REPORT.volume.length);
      assert.deepEqual(
        chart.gaps,
        REPORT.volume.map((v) => v.gaps),
      );

      const screenshot = join(dir, 'gaps.png');
      await page.screenshot({ path: screenshot, fullPage: true });
      const png = await readFile(screenshot);
      assert.deepEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47], 'a PNG screenshot');
      // The rendered page is taller than the chart alone: the table is laid out below it.
      const height = (await page.evaluate('document.documentElement.scrollHeight')) as number;
      const tableTop = await page.$eval('#clusters', (el) => el.getBoundingClientRect().top);
      const chartBottom = await page.$eval('#volume', (el) => el.getBoundingClientRect().bottom);
      assert.ok(tableTop >= chartBottom && height > tableTop, 'the table is laid out below the chart');
    } finally {
      await browser.close();
    }
  });
});
