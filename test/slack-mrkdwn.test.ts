/** The answer's Markdown as Slack shows it (mrkdwn), for what the model may write around citations. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toMrkdwn } from '../adapters/slack/mrkdwn.ts';

describe('toMrkdwn', () => {
  it('never makes a citation a link to a URL the model wrote, whether inline or by a definition line', () => {
    assert.equal(toMrkdwn('Up to 32,768 dimensions [1].\n\n[1]: https://milvus.io/docs/made-up.md'), 'Up to 32,768 dimensions [1].');
    assert.equal(toMrkdwn('See [1](https://evil.example/phish) and [[2]](https://evil.example/2).'), 'See [1] and [2].');
  });

  it('keeps ordinary links the model wrote', () => {
    assert.equal(
      toMrkdwn('See the [index guide](https://milvus.io/docs/index.md) [1].'),
      'See the <https://milvus.io/docs/index.md|index guide> [1].',
    );
  });
});
