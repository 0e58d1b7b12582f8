/** What counts as a question (src/engine/question.ts): the text a reader sees. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cleanQuestion, questionRefusal } from '../src/engine/question.ts';

describe('question text', () => {
  it('is empty when nothing in it shows', () => {
    for (const text of ['\x01\x02\x07\x7f', '\u200b\u200b', ' \u200d\ufe0f ', '\u2066\u2069']) {
      assert.equal(cleanQuestion(text), '', JSON.stringify(text));
      assert.equal(questionRefusal(text), 'Please type a question.');
    }
  });

  it('drops what does not show and keeps the joiners that shape a word or an emoji', () => {
    assert.equal(cleanQuestion('\u200bhow do I\x07 create\u200b an index?\u200b'), 'how do I create an index?');
    assert.equal(cleanQuestion('می\u200cخواهم یک کالکشن بسازم'), 'می\u200cخواهم یک کالکشن بسازم');
    assert.equal(cleanQuestion('is milvus 👨\u200d👩\u200d👧 friendly?'), 'is milvus 👨\u200d👩\u200d👧 friendly?');
  });
});
