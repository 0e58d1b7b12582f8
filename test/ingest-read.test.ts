/**
 * Reading one document for ingest (src/ingest/read.ts): a file too big to become one
 * JavaScript string (over ~512 MB, which INGEST_MAX_FILE_MB up to 1024 allows) is
 * skipped with its reason, never the end of the run. Tested with a lower limit than
 * the real one, so no 512 MB file is written.
 */
import assert from 'node:assert/strict';
import { constants } from 'node:buffer';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MAX_TEXT_BYTES, readDocument } from '../src/ingest/read.ts';

describe('readDocument', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'askdocs-read-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('a text file larger than a string can hold is skipped with its reason, within INGEST_MAX_FILE_MB', async () => {
    const file = join(dir, 'huge.md');
    await writeFile(file, `# Huge\n\n${'All about collections. '.repeat(100_000)}`);
    const outcome = await readDocument(file, 1024 * 1024 * 1024, { maxTextBytes: 1024 * 1024 });
    assert.deepEqual(outcome, {
      ok: false,
      reason: '2.2 MB is more text than askdocs can read as one document (at most 1 MB)',
    });
    // The same file under the limit is read.
    const read = await readDocument(file, 1024 * 1024 * 1024, { maxTextBytes: 4 * 1024 * 1024 });
    assert.equal(read.ok, true);
  });

  it("the real limit is what Node can hold in one string, below INGEST_MAX_FILE_MB's 1024 MB", () => {
    assert.equal(MAX_TEXT_BYTES, constants.MAX_STRING_LENGTH);
    assert.ok(MAX_TEXT_BYTES < 1024 * 1024 * 1024);
  });
});
