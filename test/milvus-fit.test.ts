/** Values cut to a VarChar field's byte limit (src/milvus/fit.ts): Milvus servers count UTF-8 bytes. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fitHeadingPath, fitUtf8 } from '../src/milvus/fit.ts';

describe('fitting values to VarChar fields', () => {
  it('cuts by UTF-8 bytes, never inside a character', () => {
    assert.equal(fitUtf8('short', 1_024), 'short');
    const title = '长颈鹿'.repeat(150); // 450 characters, 1,350 bytes
    const cut = fitUtf8(title, 1_024);
    assert.ok(Buffer.byteLength(cut) <= 1_024);
    assert.equal(cut, '长颈鹿'.repeat(150).slice(0, 341), '341 whole characters of 3 bytes');
    const emoji = fitUtf8('a🦒🦒', 6); // 1 + 4 + 4 bytes: the second giraffe does not fit
    assert.equal(emoji, 'a🦒');
  });

  it('keeps a heading path valid JSON within its limit, keeping the page heading and the deepest ones', () => {
    const path = ['Guide', ...Array.from({ length: 10 }, (_, i) => `${i} ${'小节'.repeat(120)}`)];
    const json = fitHeadingPath(path, 4_096);
    assert.ok(Buffer.byteLength(json) <= 4_096);
    const kept = JSON.parse(json) as string[];
    assert.equal(kept[0], 'Guide');
    assert.ok(kept.at(-1)!.startsWith('9 '));
    assert.ok(kept.length < path.length);
    assert.equal(fitHeadingPath(['A', 'B'], 4_096), '["A","B"]');
  });
});
