/**
 * A scripted `Engine` for chat adapter tests that are about the platform, not answers
 * (the full-path tests use the real engine): it streams a chosen answer in chunks,
 * optionally slowly, cites chosen sources, can fail like the real engine (an
 * `AskdocsError` with a user message), and records every question it got (text,
 * history, scope) so tests can check what the adapter sent.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { AnswerEvent, AnswerMode, Engine, Question, RetrievalResult, Source } from '../../src/engine/types.ts';
import { AskdocsError } from '../../src/errors.ts';

export interface Script {
  text: string;
  citations?: Source[];
  /** Every source given to the model (default: the citations). */
  sources?: Source[];
  abstained?: boolean;
  /** Default: `abstained` when abstained, else `generated`. */
  mode?: AnswerMode;
  /** Characters per delta (default: the whole text at once). */
  chunkChars?: number;
  /** Pause before the first event (retrieval time). */
  startDelayMs?: number;
  /** Pause before each delta. */
  delayMs?: number;
  /** Fail after streaming this many deltas (0: before any text). */
  failAfterDeltas?: number;
  /** What the failure throws (default: the engine's "language model unavailable"). */
  failure?: Error;
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
    yield { type: 'sources', sources: script.sources ?? citations };
    const size = Math.max(1, script.chunkChars ?? script.text.length);
    const fail = () =>
      script.failure ?? new AskdocsError('llm_unavailable', 'The language model is unavailable right now. Please try again in a minute.');
    let deltas = 0;
    for (let at = 0; at < script.text.length; at += size) {
      if (script.failAfterDeltas !== undefined && deltas >= script.failAfterDeltas) throw fail();
      if (script.delayMs) await sleep(script.delayMs, undefined, { signal: question.signal });
      yield { type: 'delta', text: script.text.slice(at, at + size) };
      deltas += 1;
    }
    if (script.failAfterDeltas !== undefined && deltas >= script.failAfterDeltas) throw fail();
    yield {
      type: 'final',
      text: script.text,
      citations,
      abstained: script.abstained ?? false,
      mode: script.mode ?? (script.abstained ? 'abstained' : 'generated'),
      standaloneQuery: question.text,
      requestId: question.requestId ?? 'test',
    };
  }

  async retrieve(question: Question): Promise<RetrievalResult> {
    return { query: question.text, rewrite: 'none', hits: [], abstain: true };
  }
}

/** A cited source: page `n` of a docs site with URLs, unless `overrides` say otherwise. */
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

/** A cited source from its path, title and heading: without a URL unless one is given. */
export function pageSource(n: number, path: string, title: string, heading?: string, url?: string): Source {
  return source(n, {
    id: `${path}#${n}`,
    path,
    title,
    headingPath: heading ? [title, heading] : [title],
    text: `Text of ${title}`,
    url,
    score: 1 / (60 + n),
    similarity: 0.8 - n / 100,
  });
}
