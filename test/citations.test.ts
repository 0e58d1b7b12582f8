import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CitationTidier, citedSources, parseCitations, stripCitations, tidyCitations, withoutCode } from '../src/answer/citations.ts';
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

  it('reads full-width brackets (【1】, ［1］) and separators as DeepSeek writes them in Chinese', () => {
    assert.deepEqual(parseCitations('最大维度是 32,768【1】。另见 A［3］ and 【2，4】【5、1】.', 5), [1, 3, 2, 4, 5]);
    assert.deepEqual(parseCitations('代码 `a【2】` 不算【1】', 5), [1]);
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

describe('tidyCitations: the answer as users see it', () => {
  it('writes full-width markers as [n]', () => {
    assert.equal(tidyCitations('Up to 32,768 dimensions【1】. 另见［2］和【1，3】。', 5), 'Up to 32,768 dimensions[1]. 另见[2]和[1, 3]。');
  });

  it('removes numbers that are no source, keeping the real ones, and the spaces before a removed marker', () => {
    assert.equal(
      tidyCitations('Fast [1]. See also [3] and [7]. Both [2, 9]. Range [4-6].', 5),
      'Fast [1]. See also [3] and. Both [2]. Range [4, 5].',
    );
  });

  it('leaves what is no citation as written: code, years, [0], checkboxes and ordinary links', () => {
    const text = 'Use `arr[7]` [1].\n```\nx = [9]\n```\nReleased [2024], index [0].\n- [ ] todo\n[docs](https://milvus.io/docs)';
    assert.equal(tidyCitations(text, 3), text);
  });

  it('keeps a marker but never the URL a model put on it, and drops its definition lines', () => {
    assert.equal(tidyCitations('A [1](https://evil.example/phish) B [[2]](https://x.example "t").', 3), 'A [1] B [2].');
    assert.equal(
      tidyCitations('A [1].\n\n[1]: https://milvus.io/docs/made-up.md\n【2】: https://x.example\nEnd [2].', 3),
      'A [1].\n\nEnd [2].',
    );
  });
});

describe('CitationTidier', () => {
  const samples = [
    'Up to 32,768 dimensions per vector field【1】. 另见［2］和【1，3】。',
    'Fast [1]. See also [3] and [7]. Both [2, 9].\n\n[1]: https://milvus.io/docs/x.md',
    'Click [1](https://evil.example/phish) or [[2]](https://x.example "t") now [2, 9].',
    'Use `arr[7]` and ``x`[7]`` here [1].\n```python\nprint(a[7])  # [9]\n```\nDone [7] [2].',
    'a stray ` backtick [7]\n\nnext [1] and `code [8]` [2]',
  ];

  it('gives out pieces that add up to the tidy text, however the model splits its deltas', () => {
    for (const text of samples) {
      for (let size = 1; size <= 8; size++) {
        const tidier = new CitationTidier(5);
        let shown = '';
        for (let at = 0; at < text.length; at += size) shown += tidier.push(text.slice(at, at + size));
        shown += tidier.end();
        assert.equal(shown, tidyCitations(text, 5), `${JSON.stringify(text)} in pieces of ${size}`);
      }
    }
  });

  it('still streams: plain text goes out as it comes, only a marker being written waits', () => {
    const tidier = new CitationTidier(3);
    assert.equal(tidier.push('Milvus supports'), 'Milvus supports');
    assert.equal(tidier.push(' up to 32,768 [1'), ' up to 32,768');
    assert.equal(tidier.push(']. Also [7'), ' [1]. Also');
    assert.equal(tidier.push('].'), '.');
    assert.equal(tidier.end(), '');
  });
});
