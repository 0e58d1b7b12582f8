/**
 * A section split into several chunks reads in document order after an incremental
 * ingest, as after a fresh one: every row's position is its current one, not the one it
 * had when its text was first stored (real Milvus Lite, real embeddings).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ChunkStore } from '../src/milvus/store.ts';
import { createRetriever } from '../src/retrieval/retriever.ts';
import { testConfig } from './fakes/config.ts';
import { startTestMilvus, type TestMilvus } from './support/milvus.ts';
import { connectStore, ingestWithDefaults, testEmbedder } from './support/retrieval-fixture.ts';

const ANIMALS = ['otters', 'lynxes', 'herons', 'badgers', 'ibises', 'tapirs', 'zebras', 'okapis', 'storks', 'lemurs', 'geckos', 'bisons'];
/** Twelve paragraphs of one section, numbered so their order shows. */
const schedule = (eleventh: string) =>
  ANIMALS.map(
    (animal, i) =>
      `Paragraph ${String(i + 1).padStart(2, '0')}: the ${i === 10 ? eleventh : animal} in the feeding schedule are fed at ${i + 6} o'clock, after the keepers check the enclosure.`,
  ).join('\n\n');

describe('chunk order after an incremental ingest', () => {
  let milvus: TestMilvus;
  let store: ChunkStore;
  let docs: string;

  before(async () => {
    [milvus, docs] = await Promise.all([startTestMilvus(), mkdtemp(join(tmpdir(), 'askdocs-order-')), testEmbedder()]);
    store = await connectStore(milvus.address, 'ingest_order');
  });
  after(async () => {
    await store?.close();
    await Promise.all([milvus?.stop(), docs && rm(docs, { recursive: true, force: true })]);
  });

  it('a long section edited below text that was removed reads in order', async () => {
    const page = join(docs, 'zoo.md');
    const options = { maxChars: 600, overlapChars: 100 };
    await writeFile(
      page,
      `# Zoo\n\n## Opening hours\n\nThe zoo opens at nine.\n\n## Tickets\n\nTickets are sold at the gate.\n\n## Feeding schedule\n\n${schedule('geckos')}\n`,
    );
    await ingestWithDefaults(docs, store, options);
    // The short sections go, and a word is added to the eleventh paragraph: the middle piece of
    // the section keeps its text, and its place moves.
    await writeFile(page, `# Zoo\n\n## Feeding schedule\n\n${schedule('day geckos')}\n`);
    await ingestWithDefaults(docs, store, options);

    const retriever = createRetriever({ store, embedder: await testEmbedder(), config: testConfig() });
    const { hits } = await retriever.retrieve({ text: 'When are the day geckos in the feeding schedule fed?' });
    const section = hits.find((hit) => hit.headingPath.at(-1) === 'Feeding schedule');
    assert.ok(section, 'the section is found');
    const order = [...section.text.matchAll(/Paragraph (\d\d)/g)].map((match) => Number(match[1]));
    assert.deepEqual(
      order,
      Array.from({ length: 12 }, (_, i) => i + 1),
    );
  });
});
