/**
 * A scripted Engine for Slack adapter tests (the full path with the real engine is in
 * slack-full-path.test.ts): answers with given Markdown in chunks, with delays, sources
 * and failures, and records every Question it received (text, history, scope).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { AnswerEvent, Engine, Question, RetrievalResult, Source } from '../../src/engine/types.ts';

export interface ScriptedAnswer {
  text: string;
  citations?: Source[];
  sources?: Source[];
  abstained?: boolean;
  /** Characters per delta. */
  chunkSize?: number;
  /** Pause between deltas. */
  deltaDelayMs?: number;
  /** Pause before the first delta (retrieval + first token). */
  firstDelayMs?: number;
  /** Thrown after the status event. */
  failWith?: Error;
}

export function source(n: number, path: string, title: string, heading?: string, url?: string): Source {
  return {
    n,
    id: `${path}#${n}`,
    path,
    title,
    headingPath: heading ? [title, heading] : [title],
    text: `Text of ${title}`,
    url,
    score: 1 / (60 + n),
    similarity: 0.8 - n / 100,
  };
}

export class ScriptedEngine implements Engine {
  readonly questions: Question[] = [];
  script: (question: Question) => ScriptedAnswer;

  constructor(script: (question: Question) => ScriptedAnswer) {
    this.script = script;
  }

  async *answer(question: Question): AsyncIterable<AnswerEvent> {
    this.questions.push(question);
    const scripted = this.script(question);
    yield { type: 'status', stage: 'retrieving', message: 'Searching the docs…' };
    await sleep(scripted.firstDelayMs ?? 0, undefined, { signal: question.signal });
    if (scripted.failWith) throw scripted.failWith;
    const citations = scripted.citations ?? [];
    yield { type: 'sources', sources: scripted.sources ?? citations };
    const size = scripted.chunkSize ?? 40;
    for (let i = 0; i < scripted.text.length; i += size) {
      yield { type: 'delta', text: scripted.text.slice(i, i + size) };
      await sleep(scripted.deltaDelayMs ?? 0, undefined, { signal: question.signal });
    }
    yield {
      type: 'final',
      text: scripted.text,
      citations,
      abstained: scripted.abstained ?? false,
      mode: scripted.abstained ? 'abstained' : 'generated',
      standaloneQuery: question.text,
      requestId: question.requestId ?? 'test',
    };
  }

  async retrieve(): Promise<RetrievalResult> {
    throw new Error('ScriptedEngine.retrieve is not used by the Slack adapter');
  }
}
