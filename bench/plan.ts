/**
 * What each bench mode runs. `full` is the published run; `quick` is a shorter
 * check (no 100×, fewer samples); `smoke` is the tiny version `npm test` runs so
 * the bench cannot rot (a few documents, a few questions, every step once).
 */
import type { EvalItem } from '../src/eval/dataset.ts';
import { type LlmProfile, REALISTIC_LLM } from './lib/llm.ts';
import type { BenchMode } from './lib/results.ts';

export interface BenchPlan {
  mode: BenchMode;
  /** Corpus files to use (relative paths); undefined = the whole corpus. */
  files?: string[];
  /** File edited for the "re-ingest after one edit" step; must not be asked about by the eval set. */
  editFile: string;
  /** Time a re-ingest of the unchanged corpus too. */
  unchangedRun: boolean;
  /** Which eval items to use. */
  pickItems(items: EvalItem[]): EvalItem[];
  /** Corpus multiples for the latency section. */
  factors: number[];
  queries(factor: number): number;
  /** Answerable questions for the answer-overhead section (all when undefined). */
  answerQuestions?: number;
  chatLevels: number[];
  chatChannels: number;
  /** Questions in the replicas burst (1 replica against 2 sharing Redis). */
  replicaQuestions: number;
  /** The small folder the oversize section ingests with and without a 20 MB file (relative paths). */
  oversizeFiles: string[];
  /** How the fake LLM behaves (its time is subtracted from askdocs' overhead). */
  llm: LlmProfile;
}

const all = (items: EvalItem[]) => items;

/** Small files the eval set asks about, plus the file to edit. */
export const SMOKE_FILES = [
  'adminGuide/authenticate.md',
  'faq/performance_faq.md',
  'faq/troubleshooting.md',
  'userGuide/tune_consistency.md',
  'adminGuide/limit_collection_counts.md',
];

export const FULL: BenchPlan = {
  mode: 'full',
  editFile: 'adminGuide/limit_collection_counts.md',
  unchangedRun: true,
  pickItems: all,
  factors: [1, 10, 100],
  queries: (factor) => (factor >= 100 ? 40 : factor >= 10 ? 120 : 200),
  chatLevels: [10, 50, 200],
  chatChannels: 10,
  replicaQuestions: 200,
  // The same five small files the smoke run ingests.
  oversizeFiles: SMOKE_FILES,
  llm: REALISTIC_LLM,
};

export const QUICK: BenchPlan = {
  ...FULL,
  mode: 'quick',
  factors: [1, 10],
  queries: () => 40,
  answerQuestions: 12,
  chatLevels: [10, 50],
  replicaQuestions: 50,
};

export const SMOKE: BenchPlan = {
  mode: 'smoke',
  files: SMOKE_FILES,
  editFile: 'adminGuide/limit_collection_counts.md',
  unchangedRun: false,
  pickItems(items) {
    const inCorpus = items.filter((item) => item.expected.some((e) => SMOKE_FILES.includes(e.path)));
    return [...inCorpus, ...items.filter((item) => item.kind === 'unanswerable').slice(0, 1)];
  },
  factors: [1, 2],
  queries: () => 8,
  answerQuestions: 2,
  chatLevels: [3],
  chatChannels: 2,
  replicaQuestions: 4,
  // One small page: the smoke run proves both ingests run and are compared; each file
  // more is only more chunks for two processes to embed.
  oversizeFiles: ['faq/troubleshooting.md'],
  // Fast, so the smoke run stays short; the numbers are not the point there.
  llm: { firstTokenDelayMs: 50, tokensPerSecond: 500, answerTokens: 20 },
};
