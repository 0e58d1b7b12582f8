/** One interface for every embedding backend; vectors are L2-normalised. */
export interface Embedder {
  /** Model identifier recorded with the collection (a mismatch blocks search and ingest). */
  readonly model: string;
  readonly dimension: number;
  embedDocuments(texts: string[]): Promise<number[][]>;
  embedQuery(text: string): Promise<number[]>;
}

export function normalise(vector: number[]): number[] {
  let norm = 0;
  for (const x of vector) norm += x * x;
  norm = Math.sqrt(norm);
  return norm > 0 ? vector.map((x) => x / norm) : vector;
}

/** Dot product; for the normalised vectors embedders return, the cosine similarity. */
export function dot(a: number[], b: number[]): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * (b[i] ?? 0);
  return sum;
}

/** The normalised mean of normalised vectors: the direction closest to all of them at once. */
export function meanDirection(vectors: number[][]): number[] {
  if (vectors.length === 1) return vectors[0]!;
  const first = vectors[0] ?? [];
  return normalise(first.map((_, i) => vectors.reduce((sum, vector) => sum + (vector[i] ?? 0), 0)));
}
