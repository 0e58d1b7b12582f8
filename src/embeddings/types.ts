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
