/**
 * Builds larger corpora (10×, 100×) from the real one without re-embedding.
 *
 * Each copy of a chunk gets a distinct path (`replica-007/faq/product_faq.md`) and id,
 * text (and the BM25 search text) perturbed at word level (synonym swaps, changed numbers, a few swapped
 * neighbouring words) so BM25 sees different documents, and a vector made from
 * the original by adding Gaussian noise and renormalising, tuned so that the copy's
 * cosine to the original is about `cosine` (0.9 by default, roughly what a paraphrase
 * scores). Embedding 300k chunks on 2 cores would take hours; Milvus's cost depends on
 * the number and shape of the rows, not on how the vectors were made.
 *
 * Everything is seeded, so two runs build the same corpora.
 */
import type { StoredChunkRow } from '../../src/milvus/store.ts';

export type Rng = () => number;

/** mulberry32: a tiny, fast, seedable PRNG (good enough for test data). */
export function seededRng(seed: number): Rng {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(rng: Rng): number {
  // Box–Muller; 1 - rng() avoids log(0).
  return Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
}

/**
 * The vector plus isotropic noise, renormalised. For a unit vector in d dimensions,
 * noise with per-dimension σ has norm ≈ σ√d, so the expected cosine is
 * 1/√(1 + σ²d); σ is solved from the wanted cosine.
 */
export function perturbVector(vector: readonly number[], cosine: number, rng: Rng): number[] {
  const d = vector.length;
  const sigma = Math.sqrt((1 / (cosine * cosine) - 1) / d);
  const out = vector.map((x) => x + sigma * gaussian(rng));
  const norm = Math.hypot(...out) || 1;
  return out.map((x) => x / norm);
}

/** Common documentation words and a stand-in for each (both directions are used). */
const SYNONYMS: [string, string][] = [
  ['use', 'utilize'],
  ['create', 'make'],
  ['delete', 'remove'],
  ['show', 'display'],
  ['get', 'obtain'],
  ['start', 'launch'],
  ['stop', 'halt'],
  ['fast', 'quick'],
  ['large', 'big'],
  ['small', 'little'],
  ['change', 'modify'],
  ['need', 'require'],
  ['check', 'verify'],
  ['allow', 'permit'],
  ['help', 'assist'],
  ['find', 'locate'],
  ['build', 'construct'],
  ['run', 'execute'],
  ['example', 'sample'],
  ['method', 'approach'],
  ['store', 'save'],
  ['following', 'below'],
  ['specify', 'indicate'],
  ['return', 'give back'],
  ['ensure', 'make sure'],
];
const SYNONYM_OF = new Map<string, string>(SYNONYMS.flatMap(([a, b]) => [[a, b] as [string, string], [b, a] as [string, string]]));
const WORD = /[A-Za-z]+|\d+/g;

export interface TextPerturbation {
  /** Chance that a word with a synonym is swapped. */
  synonymRate: number;
  /** Chance that a number is changed (by up to ±50%, never to itself). */
  numberRate: number;
  /** Chance that a word trades places with the next one on its line. */
  shuffleRate: number;
}

export const DEFAULT_PERTURBATION: TextPerturbation = { synonymRate: 0.5, numberRate: 0.5, shuffleRate: 0.05 };

export function perturbText(text: string, rng: Rng, p: TextPerturbation = DEFAULT_PERTURBATION): string {
  const swapped = text.replace(WORD, (word) => {
    if (/^\d+$/.test(word)) {
      if (rng() >= p.numberRate) return word;
      const n = Number(word);
      const changed = Math.max(0, Math.round(n * (0.5 + rng())));
      return String(changed === n ? n + 1 : changed);
    }
    const synonym = SYNONYM_OF.get(word.toLowerCase());
    if (!synonym || rng() >= p.synonymRate) return word;
    return /^[A-Z]/.test(word) ? synonym[0]!.toUpperCase() + synonym.slice(1) : synonym;
  });
  return swapped
    .split('\n')
    .map((line) => shuffleNeighbours(line, rng, p.shuffleRate))
    .join('\n');
}

function shuffleNeighbours(line: string, rng: Rng, rate: number): string {
  if (rate <= 0) return line;
  const parts = line.split(/(\s+)/);
  // Words sit at even indexes, white space at odd ones; swap word i with word i+2.
  for (let i = 0; i + 2 < parts.length; i += 2) {
    if (parts[i] !== '' && parts[i + 2] !== '' && rng() < rate) {
      [parts[i], parts[i + 2]] = [parts[i + 2]!, parts[i]!];
      i += 2;
    }
  }
  return parts.join('');
}

export interface ReplicaOptions {
  /** 1-based copy number; copy 0 would be the original. */
  copy: number;
  cosine: number;
  rng: Rng;
}

/** One perturbed copy of every row, at `replica-NNN/<path>`. */
export function replicaRows(rows: readonly StoredChunkRow[], options: ReplicaOptions): StoredChunkRow[] {
  const prefix = `replica-${String(options.copy).padStart(3, '0')}`;
  return rows.map((row) => ({
    ...row,
    id: `${prefix}-${row.id}`.slice(0, 64),
    path: `${prefix}/${row.path}`,
    docHash: `${prefix}-${row.docHash}`.slice(0, 64),
    url: row.url ? `${row.url}?${prefix}` : undefined,
    text: perturbText(row.text, options.rng),
    // What BM25 indexes (title and heading path with the text), perturbed the same way.
    searchText: row.searchText === undefined ? undefined : perturbText(row.searchText, options.rng),
    vector: perturbVector(row.vector, options.cosine, options.rng),
  }));
}
