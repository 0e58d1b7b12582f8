import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { splitMessage } from '../src/chat/split.ts';

/** True when every fence opened in `part` is closed again within it. */
function fencesBalanced(part: string): boolean {
  let open: string | undefined;
  for (const line of part.split('\n')) {
    const m = /^ {0,3}(`{3,}|~{3,})(.*)$/.exec(line);
    if (!m) continue;
    if (open === undefined) open = m[1];
    else if (m[1]?.[0] === open[0] && (m[1]?.length ?? 0) >= open.length && (m[2] ?? '').trim() === '') open = undefined;
  }
  return open === undefined;
}

describe('splitMessage', () => {
  it('returns short text unchanged and empty text as no parts', () => {
    assert.deepEqual(splitMessage('Hello **world**', 100), ['Hello **world**']);
    assert.deepEqual(splitMessage('  \n\n ', 100), []);
  });

  it('cuts at paragraph boundaries and keeps every part within the limit', () => {
    const paragraphs = Array.from({ length: 12 }, (_, i) => `Paragraph ${i} ${'word '.repeat(15).trim()}.`);
    const parts = splitMessage(paragraphs.join('\n\n'), 200);
    assert.ok(parts.length > 1);
    for (const part of parts) assert.ok(part.length <= 200, `part too long: ${part.length}`);
    // Nothing lost and no paragraph cut in half.
    assert.deepEqual(parts.join('\n\n').split('\n\n'), paragraphs);
  });

  it('never cuts inside a fenced code block that fits', () => {
    const code = ['```python', ...Array.from({ length: 8 }, (_, i) => `print(${i})  # line ${i}`), '```'].join('\n');
    const text = `${'Intro text. '.repeat(10)}\n\n${code}\n\n${'Outro text. '.repeat(10)}`;
    const parts = splitMessage(text, 260);
    assert.ok(parts.length >= 2);
    const withCode = parts.filter((p) => p.includes('print(0)'));
    assert.equal(withCode.length, 1);
    assert.ok(withCode[0]?.includes(code), 'the whole code block stays in one part');
    for (const part of parts) {
      assert.ok(part.length <= 260);
      assert.ok(fencesBalanced(part), `unbalanced fence in: ${part}`);
    }
  });

  it('closes and reopens the fence when one code block alone is too long', () => {
    const lines = Array.from({ length: 60 }, (_, i) => `const value${i} = compute(${i});`);
    const text = `Here is the code:\n\n\`\`\`ts\n${lines.join('\n')}\n\`\`\`\n\nDone.`;
    const parts = splitMessage(text, 300);
    assert.ok(parts.length >= 4);
    for (const part of parts) {
      assert.ok(part.length <= 300, `part too long: ${part.length}`);
      assert.ok(fencesBalanced(part), `unbalanced fence in: ${part}`);
    }
    const codeParts = parts.filter((p) => p.includes('compute('));
    for (const part of codeParts) assert.match(part, /```ts\n/);
    // Every code line survives, in order.
    const seen = codeParts.flatMap((p) => p.split('\n').filter((l) => l.includes('compute(')));
    assert.deepEqual(seen, lines);
    assert.equal(parts.at(-1)?.endsWith('Done.'), true);
  });

  it('splits one huge line at spaces and a huge word as a last resort', () => {
    const sentence = 'lorem ipsum dolor sit amet '.repeat(40).trim();
    const parts = splitMessage(sentence, 100);
    for (const part of parts) assert.ok(part.length <= 100);
    assert.equal(parts.join(' '), sentence);
    const word = 'x'.repeat(250);
    const cut = splitMessage(word, 100);
    assert.deepEqual(
      cut.map((p) => p.length),
      [100, 100, 50],
    );
  });

  it('closes an unterminated fence in every part when splitting', () => {
    const text = `~~~\n${Array.from({ length: 40 }, (_, i) => `row ${i}`).join('\n')}`;
    const parts = splitMessage(text, 80);
    for (const part of parts) {
      assert.ok(part.startsWith('~~~\n') && part.endsWith('\n~~~'), part);
      assert.ok(part.length <= 80);
    }
  });
});
