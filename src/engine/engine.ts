/**
 * The answer engine: the one `Engine` every front end talks to.
 *
 * For each question: (follow-ups) condense the thread into a standalone query with
 * the LLM, falling back to the retriever's own heuristic; retrieve; then
 *  - abstain when retrieval found nothing relevant enough: say so plainly, offer
 *    the closest pages, and never call the LLM;
 *  - without an LLM key: an extractive answer (best passages, cited);
 *  - with one: stream the LLM's answer and keep only the sources it actually cites;
 *    an answer cut at LLM_MAX_TOKENS ends with a note saying so, and a reply that is
 *    no answer (empty, or stopped by the content filter) fails like any LLM failure.
 *    The text is shown with its citations tidied (citations.ts): [n] for real sources
 *    only, never a link the model chose.
 *
 * LLM_TOTAL_TIMEOUT_MS bounds the whole wait for the answer to start, condensing
 * included: condensing, an optional step, may spend only a share of it.
 */

import { CitationTidier, citedSources, highestSourceNumber } from '../answer/citations.ts';
import { condenseFollowUp } from '../answer/condense.ts';
import { buildExtractiveAnswer } from '../answer/extractive.ts';
import { createLlmClient, type FinishReason, type LlmClient, type LlmUsage } from '../answer/llm.ts';
import { buildAnswerMessages } from '../answer/prompt.ts';
import { unclosedFence } from '../chat/split.ts';
import type { Config } from '../config.ts';
import { type Logger, newRequestId } from '../logger.ts';
import type { AskdocsMetrics } from '../observability/metrics.ts';
import { type AnswerObserver, bestRelevance } from '../questions/observer.ts';
import type { Retriever } from '../retrieval/retriever.ts';
import { isFollowUp } from '../retrieval/rewrite.ts';
import { ACKNOWLEDGED_TEXT, isAcknowledgement } from './acknowledgement.ts';
import { checkQuestion } from './question.ts';
import { sectionLink } from './section-link.ts';
import { sourceLabel } from './source-label.ts';
import type { AnswerEvent, AnswerMode, Engine, Question, RetrievalResult, RetrievedChunk, Source } from './types.ts';

/** The metrics the engine records; injected, so loading the engine never loads prom-client's registry. */
export type EngineMetrics = Pick<
  AskdocsMetrics,
  'questions' | 'retrieveSeconds' | 'firstTokenSeconds' | 'totalSeconds' | 'llmTokens' | 'llmErrors'
>;

export interface EngineDeps {
  retriever: Retriever;
  /** The LLM; by default built from `config.llm` when an API key is set. `null` forces extractive answers. */
  llm?: LlmClient | null;
  config: Config;
  logger: Logger;
  /** Where latencies, outcomes and token counts are recorded (the runtime passes the /metrics registry's); none when absent. */
  metrics?: EngineMetrics;
  /** Told about every answered question after its final event (the question log); never awaited. */
  observer?: AnswerObserver;
}

/** Closest pages offered when abstaining. */
const CLOSEST_PAGES = 3;

/**
 * The most of LLM_TOTAL_TIMEOUT_MS that condensing a follow-up may take: a hung
 * condense call falls back to the heuristic rewrite and leaves the answer time to come.
 */
const CONDENSE_SHARE_OF_BUDGET = 1 / 3;

export const ABSTAIN_TEXT =
  "The docs don't cover this, as far as I can find. The closest pages are listed below; they may help, but they don't answer it directly.";
export const NOTHING_FOUND_TEXT = "The docs don't cover this: nothing in the indexed documentation matches the question.";
export const UNCITED_NOTE = '\n\n_This answer cites no source from the docs, so it may not be reliable; please check the docs._';
export const CUT_OFF_NOTE = '\n\n_This answer was cut off at the maximum answer length. Ask about one part of it to get the rest._';

export function createEngine(deps: EngineDeps): Engine {
  const { retriever, config } = deps;
  const metrics = deps.metrics;
  const llm =
    deps.llm !== undefined
      ? deps.llm
      : config.llm.apiKey
        ? createLlmClient(config.llm, {
            // Calls pass their request's child logger; this one logs only calls made without one.
            logger: deps.logger,
            onError: (reason) => metrics?.llmErrors.inc({ reason }),
          })
        : null;

  /**
   * Whether to spend an LLM call on condensing: only for questions that lean on
   * the thread (the retriever's follow-up test), so a standalone question asked in
   * a thread pays no extra round trip.
   */
  function needsCondensing(question: Question): boolean {
    return llm !== null && isFollowUp(question.text, question.history);
  }

  /** The standalone query from the LLM for a follow-up; undefined means "let the retriever decide". */
  async function condenseIfFollowUp(question: Question, log: Logger): Promise<string | undefined> {
    if (!llm || !needsCondensing(question)) return undefined;
    const limitMs = Math.min(config.llm.timeoutMs, config.llm.totalTimeoutMs * CONDENSE_SHARE_OF_BUDGET);
    return condense(llm, question, log, limitMs);
  }

  async function retrieveWith(question: Question, standalone: string | undefined): Promise<RetrievalResult> {
    if (standalone === undefined) return retriever.retrieve(question);
    // The query is already standalone: the retriever must not rewrite it again.
    const result = await retriever.retrieve({ ...question, text: standalone, history: [] });
    return { ...result, query: standalone, rewrite: 'llm' };
  }

  async function* answer(question: Question): AsyncGenerator<AnswerEvent> {
    const requestId = question.requestId ?? newRequestId();
    const platform = question.scope?.platform ?? 'cli';
    const log = deps.logger.child({ requestId, platform });
    const started = performance.now();
    // The LLM's total budget counts from here: condensing and retrieving are part of the wait.
    const waitingSince = Date.now();
    const elapsed = () => (performance.now() - started) / 1000;
    let outcome: 'answered' | 'abstained' | 'acknowledged' | 'error' = 'error';
    const askedAt = new Date();
    // What the observer hears once the final event is out (set just before it is yielded).
    let answered: { final: QuestionFinal; retrieval: RetrievalResult } | undefined;

    try {
      checkQuestion(question);
      if (isAcknowledgement(question.text)) {
        yield { type: 'delta', text: ACKNOWLEDGED_TEXT };
        outcome = 'acknowledged';
        const base = { requestId, standaloneQuery: question.text.trim() };
        yield { type: 'final', text: ACKNOWLEDGED_TEXT, citations: [], abstained: false, mode: 'acknowledged', ...base };
        return;
      }
      let standalone: string | undefined;
      if (needsCondensing(question)) {
        yield { type: 'status', stage: 'condensing', message: 'Reading the thread…' };
        standalone = await condenseIfFollowUp(question, log);
      }
      yield { type: 'status', stage: 'retrieving', message: 'Searching the docs…' };
      const retrieveStarted = performance.now();
      const retrieval = await retrieveWith({ ...question, requestId }, standalone);
      metrics?.retrieveSeconds.observe({ platform }, (performance.now() - retrieveStarted) / 1000);
      throwIfAborted(question.signal);
      log.info({ rewrite: retrieval.rewrite, hits: retrieval.hits.length, abstain: retrieval.abstain, seconds: elapsed() }, 'retrieved');
      const base = { requestId, standaloneQuery: retrieval.query };

      if (retrieval.abstain || retrieval.hits.length === 0) {
        const closest = withSectionLinks(numberSources(closestPages(retrieval.hits)));
        const text = closest.length > 0 ? ABSTAIN_TEXT : NOTHING_FOUND_TEXT;
        yield { type: 'sources', sources: closest };
        yield { type: 'delta', text };
        metrics?.firstTokenSeconds.observe({ platform }, elapsed());
        outcome = 'abstained';
        const final = { type: 'final', text, citations: closest, abstained: true, mode: 'abstained', ...base } as const;
        answered = { final, retrieval };
        yield final;
        return;
      }

      const numbered = numberSources(retrieval.hits);
      const sources = withSectionLinks(numbered);
      yield { type: 'sources', sources };

      if (!llm) {
        // Linked after: a source shown from a section merged into its chunk is relabelled with that section.
        const extractive = buildExtractiveAnswer(numbered, retrieval.query, labelOf);
        for (const part of extractive.parts) yield { type: 'delta', text: part };
        metrics?.firstTokenSeconds.observe({ platform }, elapsed());
        outcome = 'answered';
        const text = extractive.parts.join('');
        const final = {
          type: 'final',
          text,
          citations: withSectionLinks(extractive.cited),
          abstained: false,
          mode: 'extractive',
          ...base,
        } as const;
        answered = { final, retrieval };
        yield final;
        return;
      }

      yield { type: 'status', stage: 'generating', message: 'Writing the answer…' };
      let text = '';
      let usage: LlmUsage | undefined;
      let finish: FinishReason = 'stop';
      const messages = buildAnswerMessages({ question: question.text, sources, history: question.history });
      // Every surface shows the deltas as they come, so the citations are tidied here, once.
      const tidier = new CitationTidier(highestSourceNumber(sources));
      const show = (piece: string): AnswerEvent[] => {
        if (piece === '') return [];
        if (text.length === 0) metrics?.firstTokenSeconds.observe({ platform }, elapsed());
        text += piece;
        return [{ type: 'delta', text: piece }];
      };
      for await (const event of llm.stream({ messages, signal: question.signal, logger: log, waitingSince })) {
        if (event.type === 'usage') {
          usage = event.usage;
          continue;
        }
        if (event.type === 'finish') {
          finish = event.reason;
          continue;
        }
        yield* show(tidier.push(event.text));
      }
      yield* show(tidier.end());
      if (usage) {
        metrics?.llmTokens.inc({ kind: 'prompt' }, usage.promptTokens);
        metrics?.llmTokens.inc({ kind: 'completion' }, usage.completionTokens);
      }
      const citations = citedSources(text, sources);
      const saidNotCovered = startsWithDecline(text);
      if (finish === 'length') {
        // What was written stays (it is cited and mostly useful); the reader must not take it for the whole answer.
        const note = cutOffNote(text);
        text += note;
        yield { type: 'delta', text: note };
        log.warn(
          { finishReason: finish, maxTokens: config.llm.maxTokens, completionTokens: usage?.completionTokens },
          'answer cut off at the token limit (LLM_MAX_TOKENS); shown with a note',
        );
      }
      if (citations.length === 0 && !saidNotCovered) {
        // Be honest rather than attach sources the model did not use.
        text += UNCITED_NOTE;
        yield { type: 'delta', text: UNCITED_NOTE };
      }
      outcome = saidNotCovered ? 'abstained' : 'answered';
      log.info({ cited: citations.map((c) => c.n), usage, finishReason: finish, seconds: elapsed() }, 'answered');
      const final = { type: 'final', text, citations, abstained: saidNotCovered, mode: 'generated', usage, ...base } as const;
      answered = { final, retrieval };
      yield final;
    } catch (error) {
      if (question.signal?.aborted) {
        log.info('question cancelled');
      } else {
        log.warn({ err: error, code: (error as { code?: unknown }).code }, 'answer failed');
      }
      throw error;
    } finally {
      metrics?.questions.inc({ platform, outcome });
      metrics?.totalSeconds.observe({ platform }, elapsed());
      // After the final event (this runs when the front end has taken it and moved on).
      if (answered) notifyObserver(question, answered.final, answered.retrieval, askedAt, log);
    }
  }

  function notifyObserver(question: Question, final: QuestionFinal, retrieval: RetrievalResult, askedAt: Date, log: Logger): void {
    if (!deps.observer) return;
    try {
      deps.observer.answered({
        requestId: final.requestId,
        platform: question.scope?.platform ?? 'cli',
        userId: question.scope?.userId,
        channelId: question.scope?.channelId,
        thread: question.scope?.thread,
        question: question.text,
        standalone: final.standaloneQuery,
        mode: final.mode,
        abstained: final.abstained,
        relevance: bestRelevance(retrieval.hits, config.retrieval.reranker),
        citedPaths: [...new Set(final.citations.map((c) => c.path))],
        askedAt,
      });
    } catch (error) {
      // An observer must never fail an answer that is already out.
      log.warn({ err: error }, 'answer observer failed');
    }
  }

  return {
    answer,
    async retrieve(question) {
      checkQuestion(question);
      const requestId = question.requestId ?? newRequestId();
      const log = deps.logger.child({ requestId, platform: question.scope?.platform ?? 'cli' });
      return retrieveWith({ ...question, requestId }, await condenseIfFollowUp(question, log));
    },
  };
}

/**
 * The LLM's standalone query, or undefined (so the retriever's heuristic takes
 * over) when the LLM fails, replies with nothing usable or takes longer than
 * `limitMs`. A caller's abort still propagates.
 */
async function condense(llm: LlmClient, question: Question, log: Logger, limitMs: number): Promise<string | undefined> {
  const limit = new AbortController();
  const timer = setTimeout(() => limit.abort(new Error(`condensing took longer than ${limitMs} ms`)), limitMs);
  const signal = question.signal ? AbortSignal.any([question.signal, limit.signal]) : limit.signal;
  try {
    const standalone = await condenseFollowUp(llm, question.text, question.history ?? [], signal, log);
    log.debug({ standalone }, 'condensed follow-up');
    return standalone;
  } catch (error) {
    throwIfAborted(question.signal);
    const code = limit.signal.aborted ? 'condense_time_limit' : (error as { code?: unknown }).code;
    log.warn({ code, limitMs }, 'condensing with the LLM failed; using the heuristic rewrite');
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

/** The cut-off note for `text`, closing first a code block the cut left open (else the note would show as code). */
function cutOffNote(text: string): string {
  const fence = unclosedFence(text);
  return fence ? `${text.endsWith('\n') ? '' : '\n'}${fence.close}${CUT_OFF_NOTE}` : CUT_OFF_NOTE;
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason;
}

/** The final event of an answer to a question (not of an acknowledgement): what the observer hears. */
type QuestionFinal = Extract<AnswerEvent, { type: 'final' }> & { mode: Exclude<AnswerMode, 'acknowledged'> };

function numberSources(hits: RetrievedChunk[]): Source[] {
  return hits.map((hit, index) => ({ ...hit, n: index + 1 }));
}

function withSectionLinks(sources: Source[]): Source[] {
  return sources.map((source) => ({ ...source, url: sectionLink(source) }));
}

/** The best hit of each of the first few distinct pages. */
function closestPages(hits: RetrievedChunk[]): RetrievedChunk[] {
  const seen = new Set<string>();
  return hits
    .filter((hit) => {
      if (seen.has(hit.path)) return false;
      seen.add(hit.path);
      return true;
    })
    .slice(0, CLOSEST_PAGES);
}

function labelOf(source: Source): string {
  return sourceLabel(source).label;
}

/**
 * An optional lead-in before a decline: "Unfortunately,", "I'm sorry, but", "Based on the
 * provided sources,".
 */
const DECLINE_LEAD_IN = String.raw`(?:(?:unfortunately|sadly|sorry|i'?m\s+sorry|i\s+am\s+sorry)(?:\s*,\s*|\s+)(?:but\s+)?|(?:based\s+on|according\s+to|from|in)\s+the\s+(?:\w+\s+){0,2}(?:docs|documentation|sources|excerpts|context|pages)\s*,\s*)?`;
/** Where the answer would come from: "the docs", "the provided sources", "the Milvus documentation". */
const DOCS = String.raw`(?:the\s+|these\s+|this\s+)?(?:[\w.-]+\s+){0,2}(?:docs|documentation|sources?|excerpts?|context|passages?|pages?)`;
const NEGATED = String.raw`(?:don't|do\s+not|doesn't|does\s+not|didn't|did\s+not)\s+(?:seem\s+to\s+|appear\s+to\s+)?`;
const SAY = String.raw`(?:cover|mention|address|include|contain|say|describe|explain|discuss|specify|state|document|answer|provide|list|have\s+(?:any\s+)?(?:information|details|anything))`;
/** "I couldn't find", "I was unable to find", "I don't see", "I don't have information". */
const NOT_FOUND = String.raw`i\s+(?:could\s*n't|could\s+not|can't|cannot|can\s+not|was\s+(?:not\s+|un)able\s+to|wasn't\s+able\s+to|am\s+(?:not\s+|un)able\s+to|didn't|did\s+not|don't|do\s+not)\s+(?:find|see|locate|know|have\s+(?:any\s+|enough\s+)?information)\b`;
const DECLINE = new RegExp(
  String.raw`^[^\w]*${DECLINE_LEAD_IN}(?:` +
    [
      String.raw`${DOCS}\s+${NEGATED}${SAY}\b`,
      String.raw`${DOCS}\s+(?:has|have|contains?|includes?|provides?|gives?)\s+no\b`,
      NOT_FOUND,
      String.raw`there\s+(?:is|are|was|were|'s)\s+no\s+(?:\w+\s+){0,2}(?:information|mention|details?|documentation|answer)\b`,
      String.raw`(?:nothing|none)\s+(?:in|of)\s+${DOCS}\b`,
      String.raw`no\s+(?:information|details?)\s+(?:about|on|regarding|for)\b`,
    ].join('|') +
    ')',
  'i',
);

/**
 * True when the model opened by declining: saying the docs don't cover it, as the prompt
 * asks it to, or in one of the other ways models say it ("I couldn't find this in the
 * documentation.", "The provided sources do not mention this.", "Unfortunately, the docs
 * don't cover this."). Only the opening counts: a decline is said first.
 */
function startsWithDecline(text: string): boolean {
  return DECLINE.test(text.replace(/[’‘`´]/g, "'"));
}
