import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { citedSources, parseCitations, stripCitations, withoutCode } from '../src/answer/citations.ts';
import type { Source } from '../src/engine/types.ts';

function source(n: number): Source {
  return { n, id: `c${n}`, path: `doc${n}.md`, title: `Doc ${n}`, headingPath: [`Doc ${n}`], text: 't', score: 0, similarity: 0 };
}

describe('parseCitations', () => {
  it('finds single citations in order of first appearance, without duplicates', () => {
    assert.deepEqual(parseCitations('Milvus scales [3]. It is fast [1]. Again [3].', 5), [3, 1]);
  });

  it('reads lists, adjacent brackets and "source" prefixes', () => {
    assert.deepEqual(parseCitations('See [2, 4] and [1][5].', 5), [2, 4, 1, 5]);
    assert.deepEqual(parseCitations('As noted [1; 3] and [Source 2] and [sources 4 and 5].', 5), [1, 3, 2, 4, 5]);
    assert.deepEqual(parseCitations('Footnote style[^2].', 5), [2]);
    assert.deepEqual(parseCitations('Spaced [ 2 ,3 ].', 5), [2, 3]);
  });

  it('expands ranges, including en dashes, and rejects absurd ones', () => {
    assert.deepEqual(parseCitations('Covered in [1-3].', 5), [1, 2, 3]);
    assert.deepEqual(parseCitations('Covered in [2–4].', 5), [2, 3, 4]);
    assert.deepEqual(parseCitations('Released [1-2024].', 5), []);
    assert.deepEqual(parseCitations('Backwards [4-2].', 5), []);
  });

  it('ignores numbers that are not among the sources', () => {
    assert.deepEqual(parseCitations('Invented [9] and [0], real [2].', 3), [2]);
    assert.deepEqual(parseCitations('Range past the end [2-7].', 3), [2, 3]);
  });

  it('ignores brackets inside inline code and fenced code blocks', () => {
    const text = [
      'Use `vectors[1]` to read the second vector [2].',
      '```python',
      'print(res[0][1])  # [3]',
      '```',
      '~~~',
      'x = [4]',
      '~~~',
      'Done [1].',
    ].join('\n');
    assert.deepEqual(parseCitations(text, 5), [2, 1]);
  });

  it('treats an unclosed code fence as code to the end', () => {
    assert.deepEqual(parseCitations('Answer [1].\n```\narr[2]', 3), [1]);
  });

  it('ignores markdown checkboxes, links and words in brackets', () => {
    assert.deepEqual(parseCitations('- [ ] todo\n- [x] done\n[docs](http://x/1) [note]', 5), []);
  });
});

describe('withoutCode', () => {
  it('keeps the text length so positions still line up', () => {
    const text = 'a `b[1]` c\n```\nd[2]\n```\ne';
    assert.equal(withoutCode(text).length, text.length);
    assert.ok(!withoutCode(text).includes('[1]'));
  });

  it('does not let a stray backtick hide the following paragraph', () => {
    assert.deepEqual(parseCitations('a stray ` backtick\n\nnext paragraph [1] and `code`', 2), [1]);
  });
});

describe('citedSources', () => {
  it('maps cited numbers to sources in order of first citation', () => {
    const sources = [source(1), source(2), source(3)];
    assert.deepEqual(
      citedSources('First [3], then [1][3].', sources).map((s) => s.n),
      [3, 1],
    );
  });

  it('returns nothing when the text cites nothing', () => {
    assert.deepEqual(citedSources('No citations here.', [source(1)]), []);
  });
});

describe('stripCitations', () => {
  it('removes citation markers but leaves code alone', () => {
    assert.equal(stripCitations('Partitions help [1][2]. Use `a[1]` [3].'), 'Partitions help. Use `a[1]`.');
  });
});
