/**
 * k-means (ml-kmeans, k-means++ init) with several seeded restarts; the run with the
 * lowest inertia wins, ties to the earlier restart. Restart r uses seed `seed + r`, so
 * one seed fixes the whole result.
 *
 *   const { labels, inertia } = kmeansRestarts(rows, 15, { seed: 42, restarts: 8 });
 */
import { kmeans } from 'ml-kmeans';

export interface KmeansRun {
  /** Cluster index per row, numbered by first appearance in row order. */
  labels: number[];
  /** Sum of squared Euclidean distances to the assigned centroid. */
  inertia: number;
}

export function kmeansRestarts(
  rows: readonly ArrayLike<number>[],
  k: number,
  options: { seed: number; restarts: number; beforeRestart?: (restart: number) => void },
): KmeansRun {
  // ml-kmeans takes plain arrays; convert once, not per restart.
  const data = rows.map((r) => Array.from(r));
  let best: KmeansRun | undefined;
  for (let r = 0; r < options.restarts; r++) {
    options.beforeRestart?.(r);
    const result = kmeans(data, k, {
      initialization: 'kmeans++',
      seed: options.seed + r,
      maxIterations: 100,
    });
    let inertia = 0;
    result.clusters.forEach((c, i) => {
      const centroid = result.centroids[c] as number[];
      const row = data[i] as number[];
      for (let d = 0; d < row.length; d++)
        inertia += ((row[d] as number) - (centroid[d] as number)) ** 2;
    });
    if (!best || inertia < best.inertia) best = { labels: canonical(result.clusters), inertia };
  }
  return best as KmeansRun;
}

/** Renumber cluster ids by first appearance so equal partitions compare equal. */
export function canonical(labels: readonly number[]): number[] {
  const ids = new Map<number, number>();
  return labels.map((l) => {
    let id = ids.get(l);
    if (id === undefined) {
      id = ids.size;
      ids.set(l, id);
    }
    return id;
  });
}
