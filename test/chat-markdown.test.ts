/** Docs passages with embedded HTML, as a chat client will show them (src/answer/chat-markdown.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chatMarkdown } from '../src/answer/chat-markdown.ts';

describe('chat markdown', () => {
  it('leaves Markdown without HTML exactly as written', () => {
    const text =
      '## Limits\n\nA name can hold letters, numbers and `_`. Use **2.4** or later: 5 < 6.\n\n```python\nclient = MilvusClient()\n```';
    assert.equal(chatMarkdown(text), text);
  });

  it('turns an HTML table into a pipe table, rows split by blank lines included', () => {
    const text =
      'Parameters:\n\n<table>\n<tr><th>Name</th><th>Default</th></tr>\n\n<tr><td>nlist</td><td>128</td></tr>\n</table>\n\nThen build.';
    const out = chatMarkdown(text);
    assert.match(out, /^Parameters:\n\n\| Name +\| Default \|\n\| -+ \| -+ \|\n\| nlist \| 128 +\|\n\nThen build\.$/);
  });

  it('keeps the text of inline tags and of links to the page itself, and web links as links; a tab bar goes', () => {
    const text =
      'Set <code>nlist</code> first.<br/>See <a href="https://milvus.io/docs/index.md">the index guide</a> and <a href="disk_index.md">disk indexes</a>.\n\n<div class="multipleCode">\n<a href="#python">Python</a>\n<a href="#java">Java</a>\n</div>\n\n<p>Jump to <a href="#limits">the limits</a> first.</p>\n\nThen build.';
    assert.equal(
      chatMarkdown(text),
      'Set nlist first. See [the index guide](https://milvus.io/docs/index.md) and disk indexes.\n\nJump to the limits first.\n\nThen build.',
    );
  });

  it('an image gives way to its alt text and a link into the docs folder or within the page to its text; web links stay, code is untouched', () => {
    const text = [
      '![Architecture diagram](docs/arch.png) shows the parts. [![CI](https://ci.example/badge.svg)](https://ci.example) [![Build](badge.svg)](./ci.md)',
      '',
      'See the [configuration guide](./configuration.md#limits), [Milvus](https://milvus.io) or [mail us](mailto:a@b.example).',
      '',
      'Define the [field schema](#Field-schema) first.',
      '',
      '```md',
      '[kept](./as-written.md)',
      '```',
    ].join('\n');
    assert.equal(
      chatMarkdown(text),
      [
        'Architecture diagram shows the parts. [CI](https://ci.example) Build',
        '',
        'See the configuration guide, [Milvus](https://milvus.io) or [mail us](mailto:a@b.example).',
        '',
        'Define the field schema first.',
        '',
        '```md',
        '[kept](./as-written.md)',
        '```',
      ].join('\n'),
    );
  });

  it('does not escape Markdown characters in the converted HTML', () => {
    const out = chatMarkdown('<div class="alert note">\nUse index_type **IVF_FLAT** or *HNSW*.\n</div>');
    assert.equal(out, 'Use index_type **IVF_FLAT** or *HNSW*.');
  });

  it('converts a link inside an HTML block to a Markdown link', () => {
    assert.equal(chatMarkdown('<p>Read <a href="https://milvus.io/docs">the docs</a>.</p>'), 'Read [the docs](https://milvus.io/docs).');
  });
});
