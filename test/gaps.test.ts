/**
 * Coverage gaps end to end, on real components: a few real corpus pages in a real
 * Milvus Lite, the real embedding model, the real engine answering a seeded mix of
 * questions from Slack, Discord and the CLI into the real question log, 👎 votes in
 * the real feedback store, then the report (library and `askdocs gaps`).
 *
 * The seed (written for this test): answerable questions; three missing topics
 * (a Terraform provider, importing Excel files, a GraphQL API), each asked in
 * several phrasings (the engine abstains on some, and answers others wrongly from
 * near-miss pages: those the askers 👎); an answered question asked in two
 * phrasings and 👎'd both times; and a one-off off-topic question.
 *
 * The clustering rule checked: every phrasing of one missing topic lands in the
 * same cluster, and no cluster mixes two topics; structurally, within a cluster
 * the mean pairwise cosine distance is at most GAPS_CLUSTER_DISTANCE, and between
 * any two clusters the mean distance is above it.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createEngine } from '../src/engine/engine.ts';
import type { AnswerEvent, Engine, Platform } from '../src/engine/types.ts';
import { FeedbackStore } from '../src/feedback/store.ts';
import { cosineDistance } from '../src/gaps/cluster.ts';
import { renderMarkdown } from '../src/gaps/markdown.ts';
import { buildGapsReport, CLOSE_SIMILARITY, type GapCluster, type GapsReport } from '../src/gaps/report.ts';
import { templateSuggestion } from '../src/gaps/suggest.ts';
import { votesByRequest } from '../src/gaps/votes.ts';
import { createLogger } from '../src/logger.ts';
import type { ChunkStore } from '../src/milvus/store.ts';
import { createQuestionLog } from '../src/questions/log.ts';
import { type LoggedQuestion, QuestionStore } from '../src/questions/store.ts';
import { createRetriever } from '../src/retrieval/retriever.ts';
import { NEEDS_SHARED, testConfig } from './fakes/config.ts';
import { startTestMilvus, type TestMilvus } from './support/milvus.ts';
import { connectStore, copyCorpusPages, ingestWithDefaults, runCli, testEmbedder } from './support/retrieval-fixture.ts';

const COLLECTION = 'gaps';
const PAGES = ['faq/product_faq.md', 'reference/index.md', 'reference/mmap.md', 'adminGuide/authenticate.md'];
const logger = createLogger({ level: 'silent' });
const DAY = 24 * 60 * 60 * 1000;

/** Missing topics, each in several phrasings, as different people would ask. */
const MISSING: Record<string, string[]> = {
  terraform: [
    'is there a terraform provider for milvus?',
    'can I manage milvus collections with terraform',
    'terraform module to provision a collection and its index?',
    'how do i declare milvus collections as infrastructure as code with terraform',
  ],
  excel: [
    'how do I import data from an Excel file?',
    'can I load an excel spreadsheet into a collection',
    'excel xlsx import into milvus, possible?',
  ],
  graphql: ['is there a GraphQL API for milvus?', 'can I run vector searches through graphql', 'graphql endpoint for querying collections'],
};
/** Answered, but the askers clicked 👎. */
const DOWNVOTED = ['how do I change the root password', 'reset password of the root user'];
const ANSWERED = [
  'what index types does milvus support?',
  'how do I enable authentication?',
  'what is mmap and when should I turn it on?',
  'what is the maximum dimension of a vector field?',
];
const ONE_OFF = 'what is the wifi password in the office?';
const PLATFORMS: Platform[] = ['slack', 'discord', 'cli'];

const TERRAFORM_PAGE = `# Terraform provider

Manage Milvus with Terraform: the Milvus Terraform provider declares collections,
their indexes, users and roles as infrastructure as code.

## Install the Terraform provider

Add the provider to your Terraform configuration and run \`terraform init\`.
The provider talks to Milvus over gRPC, like the SDKs.

## Provision a collection and its index with Terraform

Declare a \`milvus_collection\` resource with its fields, and a \`milvus_index\`
resource for the vector field. \`terraform apply\` creates both; changing the
index parameters re-creates the index.
`;

async function finalOf(events: AsyncIterable<AnswerEvent>): Promise<Extract<AnswerEvent, { type: 'final' }>> {
  let final: Extract<AnswerEvent, { type: 'final' }> | undefined;
  for await (const event of events) if (event.type === 'final') final = event;
  assert.ok(final);
  return final;
}

function topicOf(question: string): string {
  for (const [topic, phrasings] of Object.entries(MISSING)) if (phrasings.includes(question)) return topic;
  if (DOWNVOTED.includes(question)) return 'password';
  if (ANSWERED.includes(question)) return 'answered';
  return 'one-off';
}

describe('coverage gaps', { skip: NEEDS_SHARED }, () => {
  let milvus: TestMilvus;
  let chunks: ChunkStore;
  let engine: Engine;
  let docsDir: string;
  let feedbackDb: string;
  let logged: LoggedQuestion[];
  const config = testConfig({ MILVUS_COLLECTION: COLLECTION });
  const now = new Date();

  async function report(options: { retrieve?: boolean } = {}): Promise<GapsReport> {
    return buildGapsReport({
      questions: logged,
      votes: votesByRequest(feedbackDb),
      since: new Date(now.getTime() - 30 * DAY),
      now,
      minSize: 2,
      lowRelevance: config.gaps.lowRelevance,
      clusterDistance: config.gaps.clusterDistance,
      reranker: config.retrieval.reranker,
      searchPages: (vector, limit) => chunks.denseSearch({ vector, limit }),
      retrieve: options.retrieve ? (text) => engine.retrieve({ text, scope: { platform: 'cli' } }) : undefined,
      suggest: async (input) => templateSuggestion(input),
    });
  }

  before(async () => {
    milvus = await startTestMilvus();
    docsDir = await copyCorpusPages(PAGES);
    chunks = await connectStore(milvus.address, COLLECTION);
    await ingestWithDefaults(docsDir, chunks);
    const embedder = await testEmbedder();
    const log = createQuestionLog({
      config,
      embedder,
      logger,
      connect: () => QuestionStore.connect({ address: milvus.address, collection: config.questionLog.collection }),
    });
    // Spread the questions over the last three weeks, as a real log would be.
    let asked = 0;
    const observer = {
      answered: (q: Parameters<typeof log.answered>[0]) =>
        log.answered({ ...q, askedAt: new Date(now.getTime() - (21 - ((asked++ * 5) % 21)) * DAY) }),
    };
    const retriever = createRetriever({ store: chunks, embedder, config, logger });
    engine = createEngine({ retriever, config, logger, llm: null, observer });

    feedbackDb = join(await mkdtemp(join(tmpdir(), 'askdocs-gaps-')), 'feedback.sqlite');
    const feedback = FeedbackStore.open(feedbackDb);
    const seed = [...ANSWERED, ...Object.values(MISSING).flat(), ...DOWNVOTED, ONE_OFF, ANSWERED[0]!, ANSWERED[1]!];
    for (const [i, text] of seed.entries()) {
      const platform = PLATFORMS[i % PLATFORMS.length]!;
      const scope = { platform, userId: platform === 'cli' ? undefined : `U${i % 5}`, channelId: 'C1' };
      const final = await finalOf(engine.answer({ text, scope }));
      // The askers 👎 the answers they got wrong: all of DOWNVOTED, and any answer the
      // engine gave (rather than abstaining) to a question on a missing topic.
      const missing = Object.values(MISSING).flat().includes(text);
      if (DOWNVOTED.includes(text) || (missing && !final.abstained)) {
        const messageRef = `C1:${i}`;
        feedback.saveAnswer({ platform: 'slack', messageRef, question: text, answer: final.text, sources: [], requestId: final.requestId });
        feedback.recordVote({ platform: 'slack', messageRef, userId: 'U9', vote: 'down' });
      } else if (text === ANSWERED[0]) {
        const messageRef = `C1:${i}`;
        feedback.saveAnswer({ platform: 'slack', messageRef, question: text, answer: final.text, sources: [], requestId: final.requestId });
        feedback.recordVote({ platform: 'slack', messageRef, userId: 'U9', vote: 'up' });
      }
    }
    feedback.close();
    await log.flush(120_000);
    assert.equal(log.stats().written, seed.length);
    await log.close();
    const store = await QuestionStore.connect({ address: milvus.address, collection: config.questionLog.collection });
    logged = await store.list(new Date(0));
    await store.close();
  });
  after(async () => {
    await chunks?.close();
    await milvus?.stop();
  });

  it('takes the abstained, 👎 and low-relevance questions as gaps, and leaves the well-answered ones out', async () => {
    const result = await report();
    const gapQuestions = new Set(result.clusters.flatMap((c) => c.questions));
    for (const text of Object.values(MISSING).flat()) assert.ok(gapQuestions.has(text), `"${text}" is a gap`);
    const abstained = logged.filter((q) => q.abstained).map((q) => q.question);
    assert.ok(abstained.length >= 3, 'some questions were abstained on');
    const reasons = result.clusters.flatMap((c) => Object.keys(c.reasons));
    assert.ok(reasons.includes('abstained') && reasons.includes('downvoted'), `both reasons occur: ${reasons}`);
    for (const text of ANSWERED) assert.equal(gapQuestions.has(text), false, `"${text}" was answered well: not a gap`);
    const password = result.clusters.find((c) => c.questions.includes(DOWNVOTED[0]!));
    assert.ok(password, 'the 👎 answers form a cluster');
    assert.equal(password.reasons.downvoted, 2);
    assert.equal(result.totals.questions, logged.length);
    assert.ok(result.totals.unclustered >= 1, 'the one-off question is a gap but not a cluster');
    assert.equal(gapQuestions.has(ONE_OFF), false);
  });

  it('groups the phrasings of each missing topic and keeps topics apart', async () => {
    const result = await report();
    const byTopic = new Map<string, Set<number>>();
    for (const cluster of result.clusters) {
      const topics = new Set(cluster.questions.map(topicOf));
      assert.equal(topics.size, 1, `cluster ${cluster.rank} mixes topics: ${JSON.stringify(cluster.questions)}`);
      const topic = [...topics][0]!;
      byTopic.set(topic, (byTopic.get(topic) ?? new Set()).add(cluster.rank));
    }
    for (const [topic, phrasings] of Object.entries(MISSING)) {
      const clusters = result.clusters.filter((c) => c.questions.some((q) => phrasings.includes(q)));
      assert.equal(clusters.length, 1, `all phrasings of "${topic}" are in one cluster`);
      assert.deepEqual([...clusters[0]!.questions].sort(), [...phrasings].sort());
    }
    assert.deepEqual([...byTopic.keys()].sort(), ['excel', 'graphql', 'password', 'terraform']);

    // The structural form of the same rule, on the stored vectors.
    const vectorOf = new Map(logged.map((q) => [q.question, q.vector]));
    const mean = (a: string[], b: string[]) => {
      const distances = a.flatMap((x) => b.filter((y) => y !== x).map((y) => cosineDistance(vectorOf.get(x)!, vectorOf.get(y)!)));
      return distances.reduce((s, d) => s + d, 0) / distances.length;
    };
    const cut = config.gaps.clusterDistance;
    for (const a of result.clusters) {
      assert.ok(mean(a.questions, a.questions) <= cut, `cluster ${a.rank} is tight`);
      for (const b of result.clusters) {
        if (a !== b) assert.ok(mean(a.questions, b.questions) > cut, `clusters ${a.rank} and ${b.rank} are apart`);
      }
    }
  });

  it('ranks by how many asked, and shows examples, platforms, closest pages and a suggestion per cluster', async () => {
    const result = await report();
    const counts = result.clusters.map((c) => c.count);
    assert.deepEqual(
      counts,
      [...counts].sort((a, b) => b - a),
      'largest first',
    );
    assert.equal(result.clusters[0]!.questions.length, MISSING.terraform!.length);
    for (const cluster of result.clusters) {
      assert.equal(cluster.count, cluster.questions.length);
      assert.ok(cluster.questions.includes(cluster.representative));
      assert.equal(cluster.examples.includes(cluster.representative), false);
      assert.equal(cluster.examples.length, Math.min(3, cluster.count - 1));
      assert.ok(cluster.platforms.length >= 1 && cluster.platforms.every((p) => PLATFORMS.includes(p as Platform)));
      assert.ok(cluster.suggestion.includes(cluster.representative.replace(/[?.!]+$/, '')));
      for (const page of cluster.closest)
        assert.ok(PAGES.includes(page.path) && page.score >= CLOSE_SIMILARITY && page.headingPath.length > 0);
      assert.equal(cluster.maybeFixedBy, undefined, 'not checked without retrieval');
    }
    const password = result.clusters.find((c) => c.questions.includes(DOWNVOTED[0]!))!;
    assert.equal(password.closest[0]?.path, 'adminGuide/authenticate.md', 'the docs touch the 👎 topic here');
    const markdown = renderMarkdown(result);
    assert.match(markdown, /^# Coverage gaps since /);
    assert.equal((markdown.match(/^## \d+\. /gm) ?? []).length, result.clusters.length);
  });

  it('marks a cluster "maybe fixed by" the page a later ingest adds, by re-running retrieval', async () => {
    const before = await report({ retrieve: true });
    assert.ok(
      before.clusters.every((c) => c.maybeFixedBy === undefined),
      'nothing is fixed yet',
    );

    await writeFile(join(docsDir, 'terraform.md'), TERRAFORM_PAGE);
    await ingestWithDefaults(docsDir, chunks);
    const after = await report({ retrieve: true });
    const terraform = after.clusters.find((c) => c.questions.includes(MISSING.terraform![0]!)) as GapCluster;
    assert.equal(terraform.maybeFixedBy?.path, 'terraform.md');
    assert.ok(terraform.maybeFixedBy.nowAnswered * 2 >= terraform.maybeFixedBy.checked);
    for (const cluster of after.clusters.filter((c) => c !== terraform)) {
      assert.equal(cluster.maybeFixedBy, undefined, `cluster "${cluster.representative}" is not fixed`);
    }
    assert.match(renderMarkdown(after), /Maybe fixed by\*\* `terraform\.md`/);
  });

  it('askdocs gaps prints JSON for pipelines, writes HTML, previews the digest, and refuses two formats in one line', async () => {
    const env = {
      MILVUS_URI: `http://${milvus.address}`,
      MILVUS_COLLECTION: COLLECTION,
      FEEDBACK_DB: feedbackDb,
      EMBEDDING_MODELS_DIR: config.embedding.modelsDir,
    };
    const json = await runCli(['gaps', '--json', '--since', '30d'], env);
    assert.equal(json.code, 0, json.stderr);
    const parsed = JSON.parse(json.stdout) as GapsReport;
    assert.ok(Array.isArray(parsed.clusters) && parsed.clusters.length >= 4);
    for (const cluster of parsed.clusters) {
      assert.ok(Array.isArray(cluster.questions) && typeof cluster.count === 'number');
      assert.ok(Array.isArray(cluster.platforms) && typeof cluster.suggestion === 'string');
      for (const page of cluster.closest) assert.ok(page.path && Array.isArray(page.headingPath) && typeof page.score === 'number');
    }
    const counts = parsed.clusters.map((c) => c.count);
    assert.deepEqual(
      counts,
      [...counts].sort((a, b) => b - a),
    );
    assert.ok(
      parsed.clusters.some((c) => c.maybeFixedBy?.path === 'terraform.md'),
      'the CLI closes the loop too',
    );

    const file = join(await mkdtemp(join(tmpdir(), 'askdocs-gaps-html-')), 'gaps.html');
    const html = await runCli(['gaps', '--html', file], env);
    assert.equal(html.code, 0, html.stderr);
    assert.match(html.stdout, /Wrote \d+ gap clusters/);
    const page = await readFile(file, 'utf8');
    assert.match(page, /<table id="clusters">/);
    assert.match(page, /Chart\.js v4/);
    assert.doesNotMatch(page, /<script[^>]+src=/, 'self-contained: no external scripts');

    // The chat digest's preview: the report's top 5, in its order, with its counts.
    const digest = await runCli(['gaps', '--digest', '--since', '30d'], env);
    assert.equal(digest.code, 0, digest.stderr);
    const items = [...digest.stdout.matchAll(/^(\d+)\. \*\*(.+)\*\* — asked (\d+)× by/gm)];
    assert.deepEqual(
      items.map((m) => [Number(m[1]), m[2], Number(m[3])]),
      parsed.clusters.slice(0, 5).map((c) => [c.rank, c.representative, c.count]),
    );

    const both = await runCli(['gaps', '--json', '--md'], env);
    assert.notEqual(both.code, 0);
    assert.equal(both.stderr.trim().split('\n').length, 1, both.stderr);
    assert.match(both.stderr, /Choose one of --json, --html FILE, --md and --digest/);
  });
});

describe('askdocs gaps --html', () => {
  it('refuses a folder, or a file in a missing folder, before building the report', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'askdocs-gaps-target-'));
    const folder = await runCli(['gaps', '--html', dir], {});
    assert.notEqual(folder.code, 0);
    assert.doesNotMatch(folder.stderr, /EISDIR|at .*\.ts:\d+/);
    assert.match(folder.stderr, new RegExp(`${dir} is a folder; give a file name, such as ${join(dir, 'gaps.html')}`));
    const missing = await runCli(['gaps', '--html', join(dir, 'nope', 'gaps.html')], {});
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /the folder .*nope does not exist/);
  });
});

describe('askdocs gaps --help', () => {
  it('shows the --since default as it is typed (30d), not in milliseconds', async () => {
    const help = await runCli(['gaps', '--help'], {});
    assert.equal(help.code, 0, help.stderr);
    const since = help.stdout.slice(help.stdout.indexOf('--since'), help.stdout.indexOf('--min-size'));
    assert.match(since, /\(default: 30d\)/);
    assert.doesNotMatch(since, /2592000000/);
  });
});
