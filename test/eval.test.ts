/**
 * `askdocs eval`: the eval-set format, the scoring rules of shared/eval/README.md,
 * the summary arithmetic, and the command as a user runs it (a child process of
 * bin/askdocs.js against a real Milvus Lite holding a few real corpus pages).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseEvalSet } from '../src/eval/dataset.ts';
import { formatReport } from '../src/eval/report.ts';
import { type EvalItemResult, summarise } from '../src/eval/run.ts';
import { chunkMatches, firstMatchRank } from '../src/eval/scoring.ts';
import { NEEDS_SHARED } from './fakes/config.ts';
import { startTestMilvus, type TestMilvus } from './support/milvus.ts';
import { connectStore, copyCorpusPages, ingestWithDefaults, runCli, testEmbedder } from './support/retrieval-fixture.ts';

const COLLECTION = 'eval_test';

describe('eval set format', { skip: NEEDS_SHARED }, () => {
  it('parses the three kinds and reports bad lines by number', () => {
    const items = parseEvalSet(
      [
        '{"id": "a", "kind": "single", "question": "q?", "expected": [{"path": "x.md", "heading": "H"}], "answer_keywords": ["k"]}',
        '',
        '{"id": "b", "kind": "followup", "turns": [{"role": "user", "content": "u"}, {"role": "assistant", "content": "a"}, {"role": "user", "content": "f?"}], "expected": [{"path": "x.md", "heading": "H"}]}',
        '{"id": "c", "kind": "unanswerable", "question": "ramen?", "expected": [], "answer_keywords": []}',
      ].join('\n'),
    );
    assert.deepEqual(
      items.map((i) => i.kind),
      ['single', 'followup', 'unanswerable'],
    );
    assert.throws(() => parseEvalSet('{"id": "a", "kind": "single", "question": "q?", "expected": []}'), /line 1: .*expected section/);
    assert.throws(
      () => parseEvalSet('{"id": "u", "kind": "unanswerable", "question": "q"}\nnot json', 'set.jsonl'),
      /set\.jsonl line 2: not valid JSON\./,
    );
    assert.throws(
      () =>
        parseEvalSet(
          '{"id": "b", "kind": "followup", "turns": [{"role": "assistant", "content": "a"}], "expected": [{"path": "x", "heading": "h"}]}',
        ),
      /ending with a user turn/,
    );
    assert.throws(() => parseEvalSet('\n\n'), /holds no questions/);
  });
});

describe('eval set lines that need no corpus', () => {
  it('a question the engine would refuse (blank, over-long) is reported by line before anything runs', () => {
    const ok = '{"id": "a", "kind": "unanswerable", "question": "ramen?"}';
    const blank =
      '{"id": "b", "kind": "followup", "turns": [{"role": "user", "content": "u"}, {"role": "user", "content": "   "}], "expected": [{"path": "x", "heading": "h"}]}';
    assert.throws(
      () => parseEvalSet([ok, blank].join('\n'), 'set.jsonl'),
      /^AskdocsError: set\.jsonl line 2: its question would be refused \("Please type a question\."\)\.$/,
    );
    const long = JSON.stringify({ id: 'c', kind: 'unanswerable', question: 'why '.repeat(1_500) });
    assert.throws(
      () => parseEvalSet([ok, '', long].join('\n'), 'set.jsonl'),
      /set\.jsonl line 3: its question would be refused \("That question is too long/,
    );
  });

  it('a UTF-8 BOM before the first item is no part of its JSON', () => {
    const items = parseEvalSet('\uFEFF{"id": "u", "kind": "unanswerable", "question": "ramen?", "expected": []}\n', 'bom.jsonl');
    assert.deepEqual(
      items.map((item) => item.id),
      ['u'],
    );
  });
});

describe('scoring rules', () => {
  const chunk = {
    path: 'faq/operational_faq.md',
    headingPath: ['Operational FAQ', 'Why does Milvus return `illegal instruction` during startup?'],
    text: '#### Why does Milvus return `illegal instruction` during startup?\n\nAVX...\n\n#### Can I share an etcd instance?\n\n```\n# Not a heading\n```',
  };

  it('matches the own heading after normalising case, quotes, code marks and spaces', () => {
    assert.ok(
      chunkMatches(chunk, { path: 'faq/operational_faq.md', heading: 'why does milvus return  ILLEGAL INSTRUCTION during startup?' }),
    );
    assert.ok(
      chunkMatches(
        { ...chunk, headingPath: ['FAQ', 'What’s the “default”?'] },
        { path: 'faq/operational_faq.md', heading: `What's the "default"?` },
      ),
    );
    assert.ok(
      !chunkMatches(chunk, { path: 'faq/product_faq.md', heading: 'Why does Milvus return `illegal instruction` during startup?' }),
      'same heading, other file',
    );
  });

  it('matches heading lines inside the text of merged chunks, but not comments in code', () => {
    assert.ok(chunkMatches(chunk, { path: 'faq/operational_faq.md', heading: 'Can I share an etcd instance?' }));
    assert.ok(!chunkMatches(chunk, { path: 'faq/operational_faq.md', heading: 'Not a heading' }));
  });

  it("an empty heading expects the text before the page's first heading (a page with no headings)", () => {
    const page = { path: 'reference/embedding.md', headingPath: [], text: 'To embed a widget, add the script tag.' };
    assert.ok(chunkMatches(page, { path: 'reference/embedding.md', heading: '' }));
    assert.ok(!chunkMatches(chunk, { path: 'faq/operational_faq.md', heading: '' }), 'a section under a heading is not the intro');
  });

  it('ranks the first matching chunk within k', () => {
    const other = { path: 'x.md', headingPath: ['X'], text: 'x' };
    const expected = [{ path: 'faq/operational_faq.md', heading: 'Can I share an etcd instance?' }];
    assert.equal(firstMatchRank([other, other, chunk], expected, 5), 3);
    assert.equal(firstMatchRank([other, other, chunk], expected, 2), 0);
  });

  it('summarises recall, MRR and abstention; an abstained answerable question is a miss', () => {
    const result = (id: string, kind: EvalItemResult['kind'], rank: number, abstained = false): EvalItemResult => ({
      id,
      kind,
      abstained,
      rank: abstained ? 0 : rank,
      retrieval_rank: rank,
      query: id,
      rewrite: kind === 'followup' ? 'heuristic' : 'none',
      retrieved: [],
    });
    const report = summarise(
      [
        result('s1', 'single', 1),
        result('s2', 'single', 2),
        result('s3', 'single', 0),
        result('s4', 'single', 1, true),
        result('f1', 'followup', 4),
        result('u1', 'unanswerable', 0, true),
        result('u2', 'unanswerable', 0),
      ],
      5,
    );
    assert.equal(report.by_kind.single.recall_at_k, 0.5);
    assert.equal(report.by_kind.single.mrr, 0.375);
    assert.equal(report.by_kind.followup.recall_at_k, 1);
    assert.equal(report.recall_at_k, 0.6);
    assert.equal(report.mrr, 0.35);
    assert.equal(report.false_abstain_rate, 0.2);
    assert.deepEqual(report.by_kind.unanswerable, { n: 2, abstain_rate: 0.5 });
    assert.deepEqual(report.method.followup_rewrite, { none: 0, heuristic: 1, llm: 0 });
  });

  it('the table shows no score for a kind the set has no question of, rather than 0%', () => {
    const single: EvalItemResult = {
      id: 's1',
      kind: 'single',
      abstained: false,
      rank: 1,
      retrieval_rank: 1,
      query: 's1',
      rewrite: 'none',
      retrieved: [],
    };
    const table = formatReport(summarise([single], 5));
    assert.match(table, /^single +1 +100\.0% +1\.000$/m);
    assert.match(table, /^followup +0 +- +-$/m);
    assert.match(table, /^unanswerable +0 +- *$/m);
  });
});

describe('askdocs eval (CLI, real Milvus Lite)', { skip: NEEDS_SHARED }, () => {
  let milvus: TestMilvus;
  let docs: string;
  let work: string;
  let env: Record<string, string>;

  before(async () => {
    [milvus, docs, work] = await Promise.all([
      startTestMilvus(),
      copyCorpusPages(['faq/product_faq.md', 'reference/consistency.md']),
      mkdtemp(join(tmpdir(), 'askdocs-eval-')),
    ]);
    const store = await connectStore(milvus.address, COLLECTION);
    try {
      await testEmbedder();
      await ingestWithDefaults(docs, store);
    } finally {
      await store.close();
    }
    env = { MILVUS_URI: `http://${milvus.address}`, MILVUS_COLLECTION: COLLECTION, ABSTAIN_THRESHOLD: '0.42' };
    await writeFile(
      join(work, 'set.jsonl'),
      [
        {
          id: 'q1',
          kind: 'single',
          question: 'where does milvus keep my vectors once i insert them? and the metadata?',
          expected: [{ path: 'faq/product_faq.md', heading: 'Where does Milvus store data?' }],
          answer_keywords: [],
        },
        {
          id: 'q2',
          kind: 'single',
          question: 'whats the default consistency level?',
          expected: [
            { path: 'reference/consistency.md', heading: 'Overview' },
            { path: 'reference/consistency.md', heading: 'Bounded staleness' },
          ],
          answer_keywords: [],
        },
        {
          id: 'q3',
          kind: 'followup',
          turns: [
            { role: 'user', content: 'what consistency levels does milvus offer?' },
            { role: 'assistant', content: 'Four: Strong, Bounded staleness, Session and Eventually.' },
            { role: 'user', content: 'what does the session one guarantee exactly?' },
          ],
          expected: [{ path: 'reference/consistency.md', heading: 'Session' }],
          answer_keywords: [],
        },
        {
          id: 'q4',
          kind: 'unanswerable',
          question: 'anyone know good ramen spots near the office? team lunch friday',
          expected: [],
          answer_keywords: [],
        },
      ]
        .map((item) => JSON.stringify(item))
        .join('\n'),
    );
  });

  after(async () => {
    await Promise.all([
      milvus?.stop(),
      docs && rm(docs, { recursive: true, force: true }),
      work && rm(work, { recursive: true, force: true }),
    ]);
  });

  it('--json prints exactly one JSON object with the figures and per-question results', async () => {
    const run = await runCli(['eval', '--set', join(work, 'set.jsonl'), '--json', '--k', '3'], env);
    assert.equal(run.code, 0, run.stderr);
    const report = JSON.parse(run.stdout);
    assert.equal(run.stdout.trim().split('\n').length, 1, 'one line of JSON on stdout');
    assert.deepEqual(Object.keys(report).slice(0, 6), ['k', 'recall_at_k', 'mrr', 'false_abstain_rate', 'by_kind', 'method']);
    assert.equal(report.k, 3);
    // The figures must agree with the per-question ranks they summarise (ranking quality
    // itself is measured on the full dev sets, not on this two-page corpus).
    const singles = report.results.filter((r: { kind: string }) => r.kind === 'single');
    assert.equal(report.by_kind.single.n, 2);
    assert.equal(singles[0].rank, 1, 'the FAQ answer to q1 ranks first');
    assert.equal(report.by_kind.single.recall_at_k, singles.filter((r: { rank: number }) => r.rank > 0).length / 2);
    assert.equal(report.by_kind.followup.n, 1);
    assert.deepEqual(report.by_kind.unanswerable, { n: 1, abstain_rate: 1 });
    assert.equal(report.false_abstain_rate, 0);
    assert.deepEqual(report.method.followup_rewrite, { none: 0, heuristic: 1, llm: 0 });
    assert.deepEqual(
      report.results.map((r: { id: string }) => r.id),
      ['q1', 'q2', 'q3', 'q4'],
    );
    for (const result of report.results) {
      assert.equal(typeof result.abstained, 'boolean');
      assert.equal(result.retrieved.length, 3);
      for (const hit of result.retrieved) {
        assert.equal(typeof hit.path, 'string');
        assert.ok(Array.isArray(hit.heading_path));
        assert.equal(typeof hit.score, 'number');
      }
    }
    assert.equal(report.results[0].retrieved[0].heading_path.at(-1), 'Where does Milvus store data?');
    assert.match(run.stderr, /Evaluated 4 questions in [\d.]+ s \(follow-ups rewritten by the built-in heuristic/);
  });

  it('prints a readable table without --json', async () => {
    const run = await runCli(['eval', '--set', join(work, 'set.jsonl')], env);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^kind +n +recall@5 +MRR +abstained$/m);
    assert.match(run.stdout, /^single +2 +100\.0%/m);
    assert.match(run.stdout, /^unanswerable +1 +100\.0%$/m);
    assert.match(run.stdout, /Follow-ups rewritten: heuristic 1\./);
  });

  it('says so when the pages the set expects are not in the index, and still reports', async () => {
    const item = (id: string, path: string) => ({
      id,
      kind: 'single',
      question: 'where does milvus keep my vectors once i insert them?',
      expected: [{ path, heading: 'Where does Milvus store data?' }],
      answer_keywords: [],
    });
    // Written for a folder one level up: every path has a prefix the index does not.
    await writeFile(
      join(work, 'elsewhere.jsonl'),
      [item('e1', 'docs/faq/product_faq.md'), item('e2', 'docs/reference/consistency.md')].map((i) => JSON.stringify(i)).join('\n'),
    );
    const none = await runCli(['eval', '--set', join(work, 'elsewhere.jsonl')], env);
    assert.equal(none.code, 0, none.stderr);
    assert.match(
      none.stderr,
      /^askdocs: warning: none of the 2 pages this set expects are in the index \(e\.g\. docs\/faq\/product_faq\.md\): was it built from the docs folder the set was written for\? Paths are relative to the folder given to `askdocs ingest`\.$/m,
    );
    assert.match(none.stdout, /^single +2 +0\.0%/m);

    await writeFile(
      join(work, 'partly.jsonl'),
      [item('p1', 'faq/product_faq.md'), item('p2', 'faq/missing.md')].map((i) => JSON.stringify(i)).join('\n'),
    );
    const partly = await runCli(['eval', '--set', join(work, 'partly.jsonl')], env);
    assert.match(
      partly.stderr,
      /^askdocs: warning: 1 of the 2 pages this set expects are not in the index \(e\.g\. faq\/missing\.md\); questions about them count as misses\.$/m,
    );
    const whole = await runCli(['eval', '--set', join(work, 'set.jsonl')], env);
    assert.doesNotMatch(whole.stderr, /warning/);
  });

  it('fails with one clear line on a broken eval set', async () => {
    await writeFile(join(work, 'broken.jsonl'), '{"id": "x", "kind": "single"}\n');
    const run = await runCli(['eval', '--set', join(work, 'broken.jsonl')], env);
    assert.notEqual(run.code, 0);
    assert.equal(run.stdout, '');
    assert.equal(run.stderr.trim().split('\n').length, 1);
    assert.match(run.stderr, /^askdocs: .*broken\.jsonl line 1: a single item needs a question/);
  });
});
