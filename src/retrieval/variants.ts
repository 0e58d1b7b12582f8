/**
 * The texts one question is searched and judged with.
 *
 * A standalone question is searched as asked. A follow-up answered without an LLM
 * ("ok what do i set when building that one?") is searched several ways, since no
 * single rewrite is reliably right: the question alone (what is asked now), with
 * the previous user question (what "that one" was; with the questions before it
 * while each leaned on the thread, rewrite.ts previousQuestions), and with the key
 * terms of the last answer (the names it introduced). The reranker then judges every
 * candidate against all of these and against the whole recent thread, so a candidate
 * must fit the conversation, not just one guess at it.
 */
import type { Turn } from '../engine/types.ts';
import { isFollowUp, mayLeanOnThread, standaloneQuery, threadContext } from './rewrite.ts';

export interface QueryVariants {
  /** The query reported as the standalone form (shown to users and in eval output). */
  query: string;
  rewrite: 'none' | 'heuristic';
  /** Each is searched with BM25, and all together densely; the union of results is the candidate pool. */
  searches: string[];
  /** Each candidate is scored against every one of these; the first is the question as asked. */
  judges: string[];
}

/**
 * `asFollowUp` reads a question with its thread even when it does not look like a
 * follow-up (the retriever's second try for one the docs do not answer on their own), unless it
 * says it leaves the thread's topic.
 */
export function queryVariants(text: string, history: Turn[] | undefined, options: { asFollowUp?: boolean } = {}): QueryVariants {
  const question = text.trim();
  if (!history || !(options.asFollowUp ? mayLeanOnThread(question, history) : isFollowUp(question, history))) {
    return { query: question, rewrite: 'none', searches: [question], judges: [question] };
  }
  const context = threadContext(history);
  const searches = [question];
  if (context.previous) searches.push(`${question} ${context.previous}`);
  if (context.answerTerms.length > 0) searches.push(`${question} ${context.answerTerms.join(' ')}`);
  const thread = [question, context.previous, context.lastAnswer].filter(Boolean).join('\n');
  return { query: standaloneQuery(question, context), rewrite: 'heuristic', searches, judges: [...searches, thread] };
}
