/**
 * Builds the FAQ index `npm test` shares (see startFaqMilvus in ./milvus.ts):
 *
 *   node --import tsx test/support/faq-index.ts <dir>
 *
 * ingests CORPUS_DIR/faq into FAQ_COLLECTION of a Milvus Lite database in <dir>, with the
 * real model, and stops the engine so the database is complete on disk. scripts/test.sh
 * runs it once, beside the type check, and hands <dir>/milvus.db to the test files.
 * Without the corpus there is nothing to build: the tests that need it skip.
 */
import { resolve } from 'node:path';
import { startMilvusLite } from '../../src/milvus/lite-server.ts';
import { CORPUS_DIR, NEEDS_SHARED } from '../fakes/config.ts';
import { FAQ_COLLECTION, ingestInto } from './milvus.ts';

const dir = process.argv[2];
if (!dir) {
  process.stderr.write('usage: node --import tsx test/support/faq-index.ts <dir>\n');
  process.exit(2);
}
if (NEEDS_SHARED) {
  process.stderr.write(`faq-index: nothing built: ${NEEDS_SHARED}\n`);
  process.exit(0);
}
const server = await startMilvusLite({ dataDir: dir });
try {
  await ingestInto(server, FAQ_COLLECTION, resolve(CORPUS_DIR, 'faq'));
} finally {
  await server.stop();
}
