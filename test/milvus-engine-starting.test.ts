/**
 * The embedded engine listens before its storage layer is up: a collection created in that
 * moment fails with "Mmap manager has not been init" and is created again (engine-starting.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AskdocsError } from '../src/errors.ts';
import { onceEngineStarted } from '../src/milvus/engine-starting.ts';

const starting = () =>
  new AskdocsError(
    'milvus',
    'Milvus createCollection failed: Assert "init_flag_ == true"  => Mmap manager has not been init. at MmapManager.h:96 : segcore error.',
  );

describe('a request sent while the embedded engine is still starting', () => {
  it('is tried again, after cleaning up what the failed attempt left, until the engine is up', async () => {
    const events: string[] = [];
    let attempts = 0;
    const result = await onceEngineStarted(
      async () => {
        attempts++;
        events.push(`attempt ${attempts}`);
        if (attempts < 3) throw starting();
        return 'created';
      },
      { pauseMs: 1, beforeRetry: async () => void events.push('clean up') },
    );
    assert.equal(result, 'created');
    assert.deepEqual(events, ['attempt 1', 'clean up', 'attempt 2', 'clean up', 'attempt 3']);
  });

  it('fails at once on any other error, and with the last error when the engine never comes up', async () => {
    let attempts = 0;
    await assert.rejects(
      onceEngineStarted(async () => {
        attempts++;
        throw new AskdocsError('milvus', 'Milvus createCollection failed: invalid dimension');
      }),
      /invalid dimension/,
    );
    assert.equal(attempts, 1);
    await assert.rejects(
      onceEngineStarted(
        async () => {
          throw starting();
        },
        { retryForMs: 20, pauseMs: 5 },
      ),
      /Mmap manager has not been init/,
    );
  });
});
