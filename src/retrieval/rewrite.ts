/**
 * Turns a follow-up in a thread ("ok what do i set when building that one?") into a
 * query that stands on its own, without an LLM.
 *
 * The heuristic: a question asked with history is a follow-up when it leans on the
 * thread (pronouns, demonstratives, ellipsis openers such as "and"/"what about", or
 * very few content words). Its query is then the new question, followed by the
 * previous user question and the distinctive terms of the last answer (identifiers
 * like `IVF_SQ8`, quoted code, capitalised names), which name what "it" refers to.
 * The new question comes first because it says what is asked *now*. A question that
 * opens by leaving the topic ("unrelated, but…") is never a follow-up.
 */
import type { Turn } from '../engine/types.ts';

const REFERRING_WORDS = new Set([
  'it',
  'its',
  "it's",
  'itself',
  'that',
  'this',
  'these',
  'those',
  'they',
  'them',
  'their',
  'one',
  'ones',
  'there',
  'same',
  'above',
  'former',
  'latter',
  'such',
  'he',
  'she',
]);

const ELLIPSIS_OPENERS =
  /^\s*(and|also|but|so|or|then|what about|how about|ok(ay)?|cool|nice|great|thanks|same|why|why not|what if|and if)\b/i;

/**
 * Openers that say the question leaves the thread's topic ("unrelated, but…", "ok, different
 * topic:", "separate thing: …", "on another note…"): such a question stands on its own even
 * when it says "the same" or "that", and the questions after it lean on it, not on the old topic.
 */
const LEAD_IN = String.raw`(?:(?:ok(?:ay)?|cool|thanks|thank you|great|nice|got it|right|alright|also|and|btw|by the way)\b[\s,.;:!-]*)*`;
const SWITCH_PHRASE = String.raw`(?:unrelated|off[ -]topic|switching (?:gears|topics?)|chang(?:e|ing) (?:of )?(?:the )?(?:topic|subject)s?|(?:on )?(?:an? )?(?:different|another|separate|new|side|unrelated)(?: \w+)? (?:topic|question|thing|note|issue|subject)s?)\b`;
/** "another question about that" still leans on the thread. */
const BUT_ABOUT_THE_THREAD = String.raw`(?![\s,:-]*(?:about|on|regarding|for|with) (?:it|that|this|these|those|them)\b)`;
const TOPIC_SWITCH = new RegExp(`^\\W*${LEAD_IN}${SWITCH_PHRASE}${BUT_ABOUT_THE_THREAD}`, 'i');

/** True when the question opens by saying it leaves the thread's topic. */
function switchesTopic(text: string): boolean {
  return TOPIC_SWITCH.test(text);
}

/** Common words that carry no topic; a question made only of these needs the thread. */
const STOPWORDS = new Set(
  (
    'a an the is are was were be been being am do does did doing done have has had i me my we our you your ' +
    'to of in on at by for with from as into about over under than then so and or but if not no yes ' +
    'can could would should will shall may might must need want get got make way there here what which who whom ' +
    'whose when where why how all any some each every more most other such only own same too very just also now ' +
    'ok okay cool nice thanks please really actually one ones it its this that these those they them their'
  ).split(' '),
);

function words(text: string): string[] {
  return (
    text
      .toLowerCase()
      .match(/[\p{L}\p{N}_'.-]+/gu)
      ?.map((w) => w.replace(/^[.'-]+|[.'-]+$/g, '')) ?? []
  );
}

/** Words that carry topic: not stopwords, not referring words, at least 3 characters. */
export function contentWords(text: string): string[] {
  return words(text).filter((w) => w.length >= 3 && !STOPWORDS.has(w) && !REFERRING_WORDS.has(w));
}

/** Whether a question was asked in a conversation (anything before it to lean on). */
function hasThread(history: Turn[] | undefined): boolean {
  return history?.some((turn) => turn.role === 'user' || turn.role === 'assistant') ?? false;
}

/** Whether the question may be read with its thread: there is one, and the question does not say it leaves it. */
export function mayLeanOnThread(text: string, history: Turn[] | undefined): boolean {
  return hasThread(history) && !switchesTopic(text);
}

/** True when the question, asked with this history, depends on it. */
export function isFollowUp(text: string, history: Turn[] | undefined): boolean {
  if (!mayLeanOnThread(text, history)) return false;
  if (ELLIPSIS_OPENERS.test(text)) return true;
  if (words(text).some((w) => REFERRING_WORDS.has(w))) return true;
  return contentWords(text).length <= 2;
}

/** Longer code spans are whole commands or snippets, not names. */
const MAX_CODE_TERM = 60;

/**
 * Identifiers and names in an answer that say what it is about: code spans,
 * snake/CONSTANT_CASE and camelCase words, words with digits, capitalised words that
 * are not just starting a sentence, and a word the answer puts in parentheses.
 */
export function keyTerms(text: string, limit = 8): string[] {
  const terms: string[] = [];
  const add = (term: string) => {
    const clean = term.replace(/^[^\p{L}\p{N}_]+|[^\p{L}\p{N}_]+$/gu, '');
    if (clean.length >= 2 && !terms.some((t) => t.toLowerCase() === clean.toLowerCase())) terms.push(clean);
  };
  // Spans are paired first and filtered by length after: a length limit inside the
  // pattern would pair the closing backtick of a long span with the next opening one
  // and take the prose between them (", run ") for code.
  for (const match of text.matchAll(/`([^`\n]+)`/g)) if (match[1]!.length <= MAX_CODE_TERM) add(match[1]!);
  const prose = text.replace(/`[^`\n]*`/g, ' ');
  const tokens = prose.split(/\s+/);
  tokens.forEach((token, i) => {
    // A call written out in prose (`fastify.decorateReply('name', value)`) names the function
    // before its parenthesis; the argument cut off at the space is no name.
    const word = token.replace(/^[("'[]+|[)"'\],.;:!?]+$/g, '').replace(/\(.*$/, '');
    if (!/\p{L}/u.test(word)) return;
    const sentenceStart = i === 0 || /[.!?:]$/.test(tokens[i - 1] ?? '');
    const identifier = /[_]/.test(word) || /\d/.test(word) || /[a-z][A-Z]/.test(word) || /^[A-Z0-9_]{2,}$/.test(word);
    const name = /^\p{Lu}/u.test(word) && !sentenceStart && !STOPWORDS.has(word.toLowerCase());
    if (identifier || name) add(word);
  });
  // A word in parentheses is what the answer calls the thing it just described, however it
  // is written: "memory mapping (mmap)", "partition key (pk)".
  for (const match of prose.matchAll(/\((\p{L}[\p{L}\p{N}_.-]{1,30})\)/gu)) add(match[1]!);
  return terms.slice(0, limit);
}

/**
 * The heuristic standalone query, or undefined when the question does not need the
 * thread (then it is searched as asked).
 */
export function heuristicStandaloneQuery(text: string, history: Turn[] | undefined): string | undefined {
  if (!history || !isFollowUp(text, history)) return undefined;
  return standaloneQuery(text, threadContext(history));
}

/** What a follow-up leans on in its thread. */
export interface ThreadContext {
  /** The previous user question, with those it leaned on (previousQuestions); '' when none. */
  previous: string;
  lastAnswer?: string;
  /** The names the last answer introduced (keyTerms). */
  answerTerms: string[];
}

export function threadContext(history: Turn[]): ThreadContext {
  const lastAnswer = [...history]
    .reverse()
    .find((turn) => turn.role === 'assistant')
    ?.content.trim();
  return { previous: previousQuestions(history).join(' '), lastAnswer, answerTerms: lastAnswer ? keyTerms(lastAnswer) : [] };
}

/** The follow-up, then what it leans on: the previous questions and the last answer's key terms. */
export function standaloneQuery(text: string, context: ThreadContext): string {
  const parts = [text.trim()];
  if (context.previous) parts.push(context.previous);
  if (context.answerTerms.length > 0) parts.push(context.answerTerms.join(' '));
  return parts.join(' ');
}

/** At most this many user questions stand for "the previous question". */
const MAX_CHAINED_QUESTIONS = 3;

/**
 * The previous user question and, while it leaned on the thread itself ("and how do i
 * delete it?"), the questions it leaned on, oldest first: a follow-up of a follow-up
 * still needs the subject the thread started with.
 */
function previousQuestions(history: Turn[]): string[] {
  const chain: string[] = [];
  for (let i = history.length - 1; i >= 0 && chain.length < MAX_CHAINED_QUESTIONS; i--) {
    const turn = history[i]!;
    if (turn.role !== 'user') continue;
    chain.unshift(turn.content.trim());
    if (!isFollowUp(turn.content, history.slice(0, i))) break;
  }
  return chain;
}
