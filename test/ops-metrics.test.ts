/**
 * /metrics as Prometheus sees it: a real health server, scraped over HTTP, parsed
 * with a strict text-format parser.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { type HealthServer, startHealthServer } from '../src/observability/health-server.ts';
import { createMetrics, LATENCY_BUCKETS, Registry, registry } from '../src/observability/metrics.ts';
import { parsePrometheusText, sampleValue } from './support/ops-prometheus.ts';

async function scrape(server: HealthServer) {
  const response = await fetch(`${server.url}/metrics`);
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4; charset=utf-8$/);
  return parsePrometheusText(await response.text());
}

describe('/metrics', () => {
  const servers: HealthServer[] = [];
  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });

  test('counts and latencies recorded through the API show up in the scrape', async () => {
    const isolated = new Registry();
    const m = createMetrics(isolated);
    const server = await startHealthServer({ port: 0, host: '127.0.0.1', checks: [], registry: isolated });
    servers.push(server);

    m.questions.inc({ platform: 'slack', outcome: 'answered' });
    m.questions.inc({ platform: 'slack', outcome: 'answered' });
    m.questions.inc({ platform: 'discord', outcome: 'abstained' });
    m.llmTokens.inc({ kind: 'prompt' }, 1200);
    m.llmTokens.inc({ kind: 'completion' }, 80);
    m.llmErrors.inc({ reason: 'rate_limited' });
    m.feedback.inc({ platform: 'slack', vote: 'down' });
    m.ingestFiles.inc({ action: 'changed' }, 3);
    m.ingestChunks.inc({ action: 'embedded' }, 42);
    m.retrieveSeconds.observe({ platform: 'slack' }, 0.004);
    m.retrieveSeconds.observe({ platform: 'slack' }, 0.2);
    m.firstTokenSeconds.observe({ platform: 'slack' }, 1.5);
    m.totalSeconds.observe({ platform: 'slack' }, 75); // beyond the last bucket: only +Inf

    const families = await scrape(server);
    assert.equal(sampleValue(families, 'askdocs_questions_total', { platform: 'slack', outcome: 'answered' }), 2);
    assert.equal(sampleValue(families, 'askdocs_questions_total', { platform: 'discord', outcome: 'abstained' }), 1);
    assert.equal(sampleValue(families, 'askdocs_llm_tokens_total', { kind: 'prompt' }), 1200);
    assert.equal(sampleValue(families, 'askdocs_llm_tokens_total', { kind: 'completion' }), 80);
    assert.equal(sampleValue(families, 'askdocs_llm_errors_total', { reason: 'rate_limited' }), 1);
    assert.equal(sampleValue(families, 'askdocs_feedback_total', { platform: 'slack', vote: 'down' }), 1);
    assert.equal(sampleValue(families, 'askdocs_ingest_files_total', { action: 'changed' }), 3);
    assert.equal(sampleValue(families, 'askdocs_ingest_chunks_total', { action: 'embedded' }), 42);

    assert.equal(families.get('askdocs_retrieve_seconds')?.type, 'histogram');
    assert.equal(sampleValue(families, 'askdocs_retrieve_seconds_bucket', { platform: 'slack', le: '0.005' }), 1);
    assert.equal(sampleValue(families, 'askdocs_retrieve_seconds_bucket', { platform: 'slack', le: '0.25' }), 2);
    assert.equal(sampleValue(families, 'askdocs_retrieve_seconds_count', { platform: 'slack' }), 2);
    assert.equal(sampleValue(families, 'askdocs_first_token_seconds_bucket', { platform: 'slack', le: '1' }), 0);
    assert.equal(sampleValue(families, 'askdocs_first_token_seconds_bucket', { platform: 'slack', le: '2.5' }), 1);
    assert.equal(sampleValue(families, 'askdocs_answer_seconds_bucket', { platform: 'slack', le: '60' }), 0);
    assert.equal(sampleValue(families, 'askdocs_answer_seconds_bucket', { platform: 'slack', le: '+Inf' }), 1);
  });

  test('the process-wide registry exposes every askdocs metric and the default process metrics', async () => {
    const server = await startHealthServer({ port: 0, host: '127.0.0.1', checks: [], registry });
    servers.push(server);
    const families = await scrape(server);

    const expected: Record<string, string> = {
      askdocs_questions_total: 'counter',
      askdocs_retrieve_seconds: 'histogram',
      askdocs_first_token_seconds: 'histogram',
      askdocs_answer_seconds: 'histogram',
      askdocs_llm_tokens_total: 'counter',
      askdocs_llm_errors_total: 'counter',
      askdocs_feedback_total: 'counter',
      askdocs_ingest_files_total: 'counter',
      askdocs_ingest_chunks_total: 'counter',
      askdocs_process_cpu_user_seconds_total: 'counter',
      askdocs_process_resident_memory_bytes: 'gauge',
      askdocs_nodejs_eventloop_lag_seconds: 'gauge',
    };
    for (const [name, type] of Object.entries(expected)) {
      assert.equal(families.get(name)?.type, type, `${name} should be a ${type}`);
      assert.ok(families.get(name)?.help, `${name} has help text`);
    }
    assert.ok((sampleValue(families, 'askdocs_process_resident_memory_bytes') ?? 0) > 0);
  });

  test('latency buckets span 5 ms to 60 s in increasing order', () => {
    assert.equal(LATENCY_BUCKETS[0], 0.005);
    assert.equal(LATENCY_BUCKETS.at(-1), 60);
    assert.deepEqual(
      [...LATENCY_BUCKETS].sort((a, b) => a - b),
      LATENCY_BUCKETS,
    );
  });

  test('the parser rejects what Prometheus would reject', () => {
    const bad = [
      'x 1', // no trailing line feed
      'x{a="1" 1\n', // unterminated labels
      'x{1a="b"} 1\n', // bad label name
      'x one\n', // not a number
      '# TYPE x counter\n# TYPE x gauge\nx 1\n', // two TYPEs
      'x 1\n# TYPE x counter\n', // TYPE after samples
      '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n', // not cumulative
      '# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 1\nh_count 1\n', // no +Inf
    ];
    for (const text of bad) assert.throws(() => parsePrometheusText(text), Error, JSON.stringify(text));
    const good = '# HELP x_total A "quoted" help\n# TYPE x_total counter\nx_total{a="q\\"uote\\n"} 1.5e3 1700000000\n';
    assert.equal(sampleValue(parsePrometheusText(good), 'x_total', { a: 'q"uote\n' }), 1500);
  });
});
