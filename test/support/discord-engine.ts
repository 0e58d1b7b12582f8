/**
 * A scripted `Engine` for Discord adapter tests that are about Discord, not answers:
 * it streams a chosen answer in chunks (optionally slowly), cites chosen sources, can
 * fail like the real engine (an `AskdocsError` with a user message), and records every
 * question it got (text, history, scope) so tests can check what the adapter sent.
 * The full-path test uses the real engine instead.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { AnswerEvent, Engine, Question, RetrievalResult, Source } from '../../src/engine/types.ts';
import { AskdocsError } from '../../src/errors.ts';

export interface Script {
  text: string;
  citations?: Source[];
  abstained?: boolean;
  /** Characters per delta (default: the whole text at once). */
  chunkChars?: number;
  /** Pause before each delta. */
  delayMs?: number;
  /** Pause before the first event (retrieval time). */
  startDelayMs?: number;
  /** Fail after streaming this many deltas. */
  failAfterDeltas?: number;
  failure?: AskdocsError;
}

export class ScriptedEngine implements Engine {
  readonly questions: Question[] = [];
  script: (question: Question) => Script;

  constructor(script: (question: Question) => Script = (q) => ({ text: `Answer to: ${q.text}` })) {
    this.script = script;
  }

  async *answer(question: Question): AsyncIterable<AnswerEvent> {
    this.questions.push(question);
    const script = this.script(question);
    if (script.startDelayMs) await sleep(script.startDelayMs, undefined, { signal: question.signal });
    const citations = script.citations ?? [];
    yield { type: 'status', stage: 'retrieving', message: 'Searching the docs…' };
    yield { type: 'sources', sources: citations };
    const size = script.chunkChars ?? script.text.length;
    let deltas = 0;
    for (let at = 0; at < script.text.length; at += Math.max(1, size)) {
      if (script.failAfterDeltas !== undefined && deltas >= script.failAfterDeltas) {
        throw (
          script.failure ??
          new AskdocsError('llm_unavailable', 'The language model is unavailable right now. Please try again in a minute.')
        );
      }
      if (script.delayMs) await sleep(script.delayMs, undefined, { signal: question.signal });
      yield { type: 'delta', text: script.text.slice(at, at + size) };
      deltas += 1;
    }
    if (script.failAfterDeltas !== undefined && deltas >= script.failAfterDeltas) {
      throw (
        script.failure ?? new AskdocsError('llm_unavailable', 'The language model is unavailable right now. Please try again in a minute.')
      );
    }
    yield {
      type: 'final',
      text: script.text,
      citations,
      abstained: script.abstained ?? false,
      mode: script.abstained ? 'abstained' : 'generated',
      standaloneQuery: question.text,
      requestId: question.requestId ?? 'test',
    };
  }

  async retrieve(question: Question): Promise<RetrievalResult> {
    return { query: question.text, rewrite: 'none', hits: [], abstain: true };
  }
}

export function source(n: number, overrides: Partial<Source> = {}): Source {
  return {
    n,
    id: `chunk-${n}`,
    path: `guide/page-${n}.md`,
    title: `Page ${n}`,
    headingPath: [`Page ${n}`, `Section ${n}`],
    text: `Text of page ${n}.`,
    url: `https://docs.example.com/page-${n}`,
    score: 1 / n,
    similarity: 0.8,
    ...overrides,
  };
}
