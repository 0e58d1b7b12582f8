/**
 * The text a chunk is embedded and BM25-indexed by (plain-text.ts): HTML tags and comments
 * go, and nothing else that has a `<` in it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { embeddingTextOf } from '../src/ingest/document.ts';
import { plainText } from '../src/ingest/plain-text.ts';

describe('plain text of a chunk', () => {
  it('keeps type arguments and other angle brackets in fenced code', () => {
    const text = [
      '## Examples',
      '',
      '```ts',
      "const ages: Array<any> = ['seventeen'];",
      '// Type: RuleModule<"uppercase", ...>',
      'if (a < b && c > d) {}',
      '<div class="x">html sample</div>',
      '<!-- kept: part of the sample -->',
      '```',
    ].join('\n');
    const plain = plainText(text);
    assert.match(plain, /Array<any> = \['seventeen'\]/);
    assert.match(plain, /RuleModule<"uppercase", \.\.\.>/);
    assert.match(plain, /a < b && c > d/);
    assert.match(plain, /<div class="x">html sample<\/div>/);
    assert.match(plain, /<!-- kept: part of the sample -->/);
  });

  it('keeps code spans as written, and a `<` that starts no tag', () => {
    const plain = plainText('Use `Promise<void>` or ``Map<string, `x`>``; a < b and c > d; see <https://example.org>; <<< ./file.ts');
    assert.equal(plain, 'Use `Promise<void>` or ``Map<string, `x`>``; a < b and c > d; see <https://example.org>; <<< ./file.ts');
  });

  it('drops HTML tags (with attributes, closing, self-closing, over lines) and comments in prose', () => {
    const text = [
      '<p align="center"><img src="logo.png" width=200 /></p>',
      '<TabItem value="npm" label={`npm`}>Install it.</TabItem>',
      '<VPTeamMembers',
      '  size="small"',
      '  :members="core"',
      '/>',
      'Before <!-- a note',
      'for editors --> after.<br>',
    ].join('\n');
    assert.equal(plainText(text).replace(/\s+/g, ' '), 'Install it. Before after.');
  });

  it('is what the chunk is embedded by, after its title and headings', () => {
    const embedded = embeddingTextOf({
      title: 'no-explicit-any',
      headingPath: ['Options', '`ignoreRestArgs`'],
      text: '```ts\nfunction foo(...args: any[]): Array<any> {}\n```',
    });
    assert.equal(embedded, 'no-explicit-any > Options > `ignoreRestArgs`\n\n```ts\nfunction foo(...args: any[]): Array<any> {}\n```');
  });
});
