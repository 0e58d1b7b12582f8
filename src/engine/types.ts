/**
 * The one engine API that every front end (CLI, Slack, Discord, eval, bench) talks to.
 * Front ends translate platform events into a `Question` and render `AnswerEvent`s;
 * they never reach into retrieval or the LLM themselves.
 */

export type Role = 'user' | 'assistant';

export interface Turn {
  role: Role;
  content: string;
}

export type Platform = 'cli' | 'slack' | 'discord' | 'eval' | 'bench';

/**
 * Where a chat question can be opened again, next to `Scope.channelId`: platform ids
 * of places only, never of people.
 */
export interface ThreadRef {
  /** Slack: the team (workspace) id. Discord: the guild (server) id; absent in DMs. */
  workspaceId?: string;
  /**
   * Slack: the ts of the thread's root message (the answer's own ts when it started
   * one). Discord: the id of the question's message; absent links to the channel.
   */
  messageId?: string;
}

/** Where a question comes from; used for logs, metrics and optional path filtering. */
export interface Scope {
  platform: Platform;
  userId?: string;
  channelId?: string;
  /** Where the conversation can be found again, so the gaps digest can link to it. */
  thread?: ThreadRef;
  /** Restrict retrieval to documents whose path starts with this prefix. */
  pathPrefix?: string;
}

export interface Question {
  text: string;
  /** Earlier turns of the same thread, oldest first, not including `text`. */
  history?: Turn[];
  scope?: Scope;
  /** Carried through every log line of this question; generated when absent. */
  requestId?: string;
  signal?: AbortSignal;
}

/** One retrieved chunk, as stored in Milvus. */
export interface Chunk {
  id: string;
  /** Path relative to the ingested folder, with forward slashes (e.g. `faq/product_faq.md`). */
  path: string;
  title: string;
  /** Heading path from the document's top heading to this chunk's own heading. */
  headingPath: string[];
  text: string;
  url?: string;
}

export interface RetrievedChunk extends Chunk {
  /** Where the chunk sits in its document (0 first), when the store knows. */
  chunkIndex?: number;
  /** Fused (RRF) score from Milvus hybrid search; only meaningful for ranking. */
  score: number;
  /** Cosine similarity between the query and the chunk's dense vector, in [-1, 1]. */
  similarity: number;
}

/** A retrieved chunk as shown to the LLM and the user: numbered from 1. */
export interface Source extends RetrievedChunk {
  n: number;
}

export interface RetrievalResult {
  /** The query actually searched (the follow-up rewritten into a standalone question). */
  query: string;
  /** How `query` was produced. */
  rewrite: 'none' | 'heuristic' | 'llm';
  hits: RetrievedChunk[];
  /** True when nothing relevant enough was found (below the calibrated threshold). */
  abstain: boolean;
  /**
   * Where the time went, in milliseconds: embedding the query texts, the Milvus calls
   * (searches and term lookups; the BM25 search that runs during the embedding counts
   * only for the time waited on it after), searching (embedding plus searches) and
   * reranking.
   */
  timings?: { embedMs: number; milvusMs: number; searchMs: number; rerankMs: number; totalMs: number };
}

/** `acknowledged`: the message thanked or closed the thread (acknowledgement.ts); nothing was searched. */
export type AnswerMode = 'generated' | 'extractive' | 'abstained' | 'acknowledged';

export type AnswerEvent =
  | { type: 'status'; stage: 'condensing' | 'retrieving' | 'generating'; message: string }
  /** The numbered sources given to the model (or, when abstaining, the closest pages). */
  | { type: 'sources'; sources: Source[] }
  /** A piece of answer text, in order; concatenating all deltas gives `final.text`. */
  | { type: 'delta'; text: string }
  | {
      type: 'final';
      text: string;
      /** The sources the answer actually cites (by [n]); for abstentions, the closest pages. */
      citations: Source[];
      abstained: boolean;
      mode: AnswerMode;
      standaloneQuery: string;
      requestId: string;
      usage?: { promptTokens: number; completionTokens: number };
    };

export interface Engine {
  /** Answers one question as a stream of events. Throws `AskdocsError` on failure. */
  answer(question: Question): AsyncIterable<AnswerEvent>;
  /** Retrieval only, no answer (`askdocs eval`, the benchmarks); a follow-up is condensed with the LLM when one is set. */
  retrieve(question: Question): Promise<RetrievalResult>;
}
