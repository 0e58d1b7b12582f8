/**
 * Groups gap questions by meaning: agglomerative clustering (ml-hclust's AGNES)
 * with average linkage on cosine distance, cut at a fixed height.
 *
 * Why this and not k-means or DBSCAN: the number of missing topics is unknown,
 * and average linkage does not chain (DBSCAN's single-link reachability can join
 * two topics through one in-between question). The rule a cluster satisfies: the
 * mean cosine distance between its questions and any other cluster's questions was
 * above `maxDistance` when they were kept apart, and within one cluster the mean
 * pairwise distance is at most `maxDistance`.
 */
import { agnes } from 'ml-hclust';

/** Cosine distance (1 - cosine) between two vectors of any norm. */
export function cosineDistance(a: number[], b: number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * (b[i] ?? 0);
    na += a[i]! * a[i]!;
    nb += (b[i] ?? 0) * (b[i] ?? 0);
  }
  return na === 0 || nb === 0 ? 1 : 1 - dot / Math.sqrt(na * nb);
}

/** Clusters (lists of indices into `vectors`), each with mean pairwise cosine distance at most `maxDistance`. */
export function clusterByMeaning(vectors: number[][], maxDistance: number): number[][] {
  if (vectors.length === 0) return [];
  if (vectors.length === 1) return [[0]];
  const matrix = vectors.map((a) => vectors.map((b) => cosineDistance(a, b)));
  const tree = agnes(matrix, { method: 'average', isDistanceMatrix: true });
  return tree.cut(maxDistance).map((cluster) => cluster.indices());
}

/** The member closest on average to the others: the question that best stands for the cluster. */
export function medoid(members: number[], vectors: number[][]): number {
  let best = members[0]!;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const i of members) {
    let sum = 0;
    for (const j of members) if (i !== j) sum += cosineDistance(vectors[i]!, vectors[j]!);
    if (sum < bestDistance) {
      bestDistance = sum;
      best = i;
    }
  }
  return best;
}

/** The normalized mean of the members' vectors: what the cluster is about, for searching the docs. */
export function centroid(members: number[], vectors: number[][]): number[] {
  const dim = vectors[members[0]!]!.length;
  const sum = new Array<number>(dim).fill(0);
  for (const i of members) {
    const v = vectors[i]!;
    for (let d = 0; d < dim; d++) sum[d]! += v[d]!;
  }
  const norm = Math.sqrt(sum.reduce((acc, x) => acc + x * x, 0)) || 1;
  return sum.map((x) => x / norm);
}
