/**
 * Runs one engine question for a chat thread and turns the event stream into what a
 * chat adapter needs: throttled "text so far" updates while the answer is generated,
 * and one settled result at the end.
 *
 * API:
 *   const answer = await runChatAnswer(engine, question, {
 *     onStatus: (stage) => ...,              // engine status events, not awaited
 *     onText: async (textSoFar) => ...,      // first call at once, then ≤ 1 per textIntervalMs
 *     textIntervalMs: 1000,
 *     pace: () => budget.take(workspace),    // optional: a shared rate budget (throttle.ts)
 *   });
 *   answer = { text, citations, sources, abstained, mode, requestId, standaloneQuery, textUpdateFailure? }
 *
 *   - `onText` calls never overlap and always get the whole text so far (an adapter that
 *     appends can send `text.slice(alreadySent)`). When it returns, no `onText` call is in
 *     flight; the caller renders `answer.text` as the final message itself.
 *   - If `onText` throws, updates stop (the error is in `textUpdateFailure`) but the answer
 *     still completes, so the caller can fall back to another way of showing it.
 *   - Engine failures are thrown unchanged (an `AskdocsError` carries the user message).
 */
import type { AnswerMode, Engine, Question, Source } from '../engine/types.ts';
import type { WorkingStage } from './status.ts';
import { LatestValueThrottle } from './throttle.ts';

export interface ChatAnswerHandlers {
  onStatus?: (stage: WorkingStage) => void;
  onText?: (textSoFar: string) => Promise<void>;
  textIntervalMs?: number;
  pace?: () => number;
}

export interface ChatAnswer {
  text: string;
  /** Sources the answer cites (or, when it abstained, the closest pages). */
  citations: Source[];
  /** Every source given to the model. */
  sources: Source[];
  abstained: boolean;
  mode: AnswerMode;
  requestId: string;
  standaloneQuery: string;
  textUpdateFailure?: unknown;
}

export async function runChatAnswer(engine: Engine, question: Question, handlers: ChatAnswerHandlers = {}): Promise<ChatAnswer> {
  const onText = handlers.onText;
  const updates = onText
    ? new LatestValueThrottle<string>(onText, { intervalMs: handlers.textIntervalMs ?? 1000, pace: handlers.pace })
    : undefined;
  let text = '';
  let sources: Source[] = [];
  try {
    for await (const event of engine.answer(question)) {
      switch (event.type) {
        case 'status':
          handlers.onStatus?.(event.stage);
          break;
        case 'sources':
          sources = event.sources;
          break;
        case 'delta':
          text += event.text;
          if (text.trim() !== '') updates?.push(text);
          break;
        case 'final':
          await updates?.close();
          return {
            text: event.text,
            citations: event.citations,
            sources,
            abstained: event.abstained,
            mode: event.mode,
            requestId: event.requestId,
            standaloneQuery: event.standaloneQuery,
            textUpdateFailure: updates?.failure,
          };
      }
    }
  } finally {
    await updates?.close();
  }
  throw new Error('engine stream ended without a final event');
}
