/**
 * The bench must not rot: `npm run bench -- --smoke` runs every step of the real
 * bench (ingest in child processes, the three pipelines' quality, scaled latency,
 * answer overhead, Slack and Discord bursts through the real bots) over a few
 * documents and questions, and its results.json must hold every figure. Plus the
 * bench's own helpers that the numbers depend on.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { notebookChunks } from '../bench/baselines/notebook.ts';
import { locatePieces, sectionHeadingAt } from '../bench/baselines/sections.ts';
import { perturbText, perturbVector, seededRng } from '../bench/lib/replicate.ts';
import type { BenchResults } from '../bench/lib/results.ts';
import { percentile, summarize } from '../bench/lib/stats.ts';
import { renderLineChart } from '../bench/lib/svg.ts';
import type { ChatPlatformSection } from '../bench/sections/chat.ts';
import type { IngestSection } from '../bench/sections/ingest.ts';
import type { LatencySection } from '../bench/sections/latency.ts';
import type { QualitySection } from '../bench/sections/quality.ts';
import { PACKAGE_ROOT } from '../src/paths.ts';
import { NEEDS_SHARED } from './fakes/config.ts';

describe('bench helpers', () => {
  test('percentiles are nearest-rank: always an observed sample', () => {
    const samples = Array.from({ length: 100 }, (_, i) => i + 1);
    assert.equal(percentile(samples, 50), 50);
    assert.equal(percentile(samples, 99), 99);
    assert.equal(percentile([7], 99), 7);
    const s = summarize([3, 1, 2]);
    assert.deepEqual([s.min, s.p50, s.max, s.n], [1, 2, 3, 3]);
  });

  test('the notebook baseline splits on "# " and gives each piece the heading it starts in', () => {
    const source = '# Title\n\nIntro text.\n\n## Install\n\n```bash\n# not a heading\npip install x\n```\n\n### Verify\n\nRun it.\n';
    const chunks = notebookChunks(source, 'guide.md');
    assert.deepEqual(
      chunks.map((c) => c.headingPath[0]),
      ['Title', 'Install', 'Install', 'Verify'],
      'a "# " inside a code block splits the text but does not start a section',
    );
    assert.ok(chunks[2]!.text.startsWith('not a heading'));
    assert.equal(sectionHeadingAt(source, 0), 'Title');
    assert.deepEqual(locatePieces('aXbXc', ['a', 'b', 'c']), [0, 2, 4]);
  });

  test('replicas: seeded, cosine near the target, text really changed', () => {
    const rng = seededRng(1);
    const v = Array.from({ length: 384 }, () => rng() - 0.5);
    const norm = Math.hypot(...v);
    const unit = v.map((x) => x / norm);
    const copy = perturbVector(unit, 0.9, seededRng(2));
    const cosine = unit.reduce((sum, x, i) => sum + x * copy[i]!, 0);
    assert.ok(Math.abs(Math.hypot(...copy) - 1) < 1e-9, 'unit length');
    assert.ok(cosine > 0.85 && cosine < 0.95, `cosine ${cosine}`);
    const text = 'Use the following command to create 3 replicas and check that they start.';
    assert.equal(perturbText(text, seededRng(5)), perturbText(text, seededRng(5)), 'deterministic');
    assert.notEqual(perturbText(text, seededRng(5)), text);
  });

  test('the SVG chart has its axes, series and threshold', () => {
    const svg = renderLineChart({
      title: 'latency <test>',
      xLabel: 'chunks',
      yLabel: 'ms',
      logX: true,
      logY: true,
      series: [
        {
          name: 'p50',
          points: [
            { x: 100, y: 5 },
            { x: 10_000, y: 50 },
          ],
        },
      ],
      threshold: { y: 20, label: 'target' },
    });
    assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.match(svg, /latency &lt;test&gt;/);
    assert.match(svg, /<path d="M[\d.]+,[\d.]+ L[\d.]+,[\d.]+"/);
    assert.match(svg, /target/);
  });
});

// The bench runs on the shared corpus and eval set; without them it cannot run at all.
describe('npm run bench -- --smoke', { skip: NEEDS_SHARED }, () => {
  test('runs every section and writes results.json with absolute figures and ratios', { timeout: 600_000 }, async () => {
    const out = await mkdtemp(join(tmpdir(), 'askdocs-bench-smoke-'));
    try {
      const { code, stdout, stderr } = await run(['--import', 'tsx', join(PACKAGE_ROOT, 'bench', 'run.ts'), '--smoke', '--out', out]);
      assert.equal(code, 0, `bench failed:\n${stderr.slice(-3000)}`);
      const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as BenchResults;

      assert.equal(results.mode, 'smoke');
      assert.ok(results.machine.cores >= 1 && !Number.isNaN(Date.parse(results.date)));
      assert.deepEqual(results.missing, [], 'every section ran');

      const ingest = results.sections.ingest as IngestSection;
      assert.ok(ingest.askdocs.chunks > 0 && ingest.askdocs.embedded === ingest.askdocs.chunks);
      assert.ok((ingest.langchain?.chunks ?? 0) > 0);
      assert.equal(ingest.reingestOneEdit.embedded, 1, 'one edited paragraph → one chunk re-embedded');
      if (process.platform === 'linux') assert.ok((ingest.askdocs.peakRssMiB ?? 0) > 50);

      const quality = results.sections.quality as QualitySection;
      assert.deepEqual(Object.keys(quality.pipelines).sort(), ['askdocs', 'langchain', 'notebook']);
      for (const p of Object.values(quality.pipelines)) {
        assert.ok(p.all.recallAt1 <= p.all.recallAt3 && p.all.recallAt3 <= p.all.recallAt5 && p.all.recallAt5 <= 1);
      }
      const notebook = quality.pipelines.notebook!;
      assert.equal(notebook.all.recallAt5, notebook.all.recallAt3, 'the notebook returns 3 hits');

      const latency = results.sections.latency as LatencySection;
      assert.deepEqual(
        latency.scales.map((s) => s.factor),
        [1, 2],
      );
      assert.equal(latency.scales[1]!.chunks, 2 * latency.scales[0]!.chunks);
      for (const s of latency.scales) assert.ok(s.retrieveMs.p50 > 0 && s.retrieveMs.p50 <= s.retrieveMs.p99);
      for (const s of latency.scales) {
        assert.equal((s.standaloneMs?.n ?? 0) + (s.followUpMs?.n ?? 0), s.retrieveMs.n, 'every retrieve is standalone or a follow-up');
        assert.ok((s.rerankerOff?.retrieveMs.n ?? 0) > 0, 'RERANKER=off measured beside the default');
      }
      assert.match(await readFile(join(out, 'latency-vs-size.svg'), 'utf8'), /^<svg/);

      for (const name of ['slack', 'discord']) {
        const chat = results.sections[name] as ChatPlatformSection;
        const level = chat.levels[0]!;
        assert.equal(level.errors, 0, `${name}: ${JSON.stringify(level.errorKinds)}`);
        assert.equal(level.completed, level.concurrency, `${name}: every question answered`);
        assert.ok(level.ackMs.p99 < 3000, `${name}: acked in time`);
      }

      for (const section of ['quality', 'ingest', 'latency', 'rerank', 'answer', 'chat', 'memory']) {
        assert.ok(
          results.figures.some((f) => f.section === section),
          `figures for ${section}`,
        );
      }
      for (const f of results.figures) {
        assert.ok(f.against.length > 0, `${f.metric} is compared with a baseline`);
      }
      // The smoke run has no 10× corpus and no 50-question burst, so only these targets apply:
      // retrieval p50 with reranking, recall on singles and follow-ups, answer overhead.
      assert.deepEqual(
        results.targets.map((t) => t.target.split(' ')[0]),
        ['Retrieval', 'recall@5', 'recall@5', 'overhead'],
      );
      const oversize = results.figures.find((f) => f.metric.includes('MB file in the folder (skipped)'));
      assert.ok(oversize?.value && oversize.against[0]?.value, 'the oversized-file ingest was measured against the plain folder');
      for (const t of results.targets) assert.equal(typeof t.met, 'boolean');
      assert.match(stdout, /Retrieval quality/);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: PACKAGE_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
