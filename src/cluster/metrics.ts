/**
 * Agreement between two labelings of the same items: normalised mutual information
 * (arithmetic-mean normalisation, as scikit-learn's default) and the adjusted Rand index
 * (Hubert & Arabie). No maintained npm package offers these, so they are small and
 * tested here (test/cluster-metrics.test.ts). Labels may be any strings or numbers.
 *
 *   normalizedMutualInfo(['a','a','b'], [1,1,2]) // 1
 *   adjustedRandIndex(['a','a','b'], [1,2,2])    // -0.5
 */

type Label = string | number;

/** Contingency counts of two labelings; also validates equal length. */
function contingency(a: readonly Label[], b: readonly Label[]) {
  if (a.length !== b.length) {
    throw new RangeError(`labelings differ in length: ${a.length} vs ${b.length}`);
  }
  const joint = new Map<string, number>();
  const countA = new Map<Label, number>();
  const countB = new Map<Label, number>();
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as Label;
    const y = b[i] as Label;
    // JSON keeps 1 and '1' apart, so numeric and string labels never collide.
    const key = JSON.stringify([x, y]);
    joint.set(key, (joint.get(key) ?? 0) + 1);
    countA.set(x, (countA.get(x) ?? 0) + 1);
    countB.set(y, (countB.get(y) ?? 0) + 1);
  }
  return { n: a.length, joint, countA, countB };
}

function entropy(counts: Iterable<number>, n: number): number {
  let h = 0;
  for (const c of counts) if (c > 0) h -= (c / n) * Math.log(c / n);
  return h;
}

/**
 * NMI = I(A;B) / mean(H(A), H(B)), in [0, 1]. Two single-cluster labelings are
 * identical and score 1; one constant labeling against a varied one scores 0.
 */
export function normalizedMutualInfo(a: readonly Label[], b: readonly Label[]): number {
  const { n, joint, countA, countB } = contingency(a, b);
  if (n === 0) return 1;
  const hA = entropy(countA.values(), n);
  const hB = entropy(countB.values(), n);
  if (hA === 0 && hB === 0) return 1;
  if (hA === 0 || hB === 0) return 0;
  let mi = 0;
  for (const [key, nij] of joint) {
    const [x, y] = JSON.parse(key) as [Label, Label];
    const ni = countA.get(x) as number;
    const nj = countB.get(y) as number;
    mi += (nij / n) * Math.log((n * nij) / (ni * nj));
  }
  // Floating error can push a perfect match a hair above 1.
  return Math.min(1, Math.max(0, mi / ((hA + hB) / 2)));
}

const pairs = (x: number): number => (x * (x - 1)) / 2;

/** ARI: 1 for identical partitions, ~0 for random ones, negative when worse than chance. */
export function adjustedRandIndex(a: readonly Label[], b: readonly Label[]): number {
  const { n, joint, countA, countB } = contingency(a, b);
  let sumJoint = 0;
  for (const c of joint.values()) sumJoint += pairs(c);
  let sumA = 0;
  for (const c of countA.values()) sumA += pairs(c);
  let sumB = 0;
  for (const c of countB.values()) sumB += pairs(c);
  const total = pairs(n);
  if (total === 0) return 1;
  const expected = (sumA * sumB) / total;
  const max = (sumA + sumB) / 2;
  // Both partitions all-singletons or both one cluster: identical structure.
  if (max === expected) return 1;
  return (sumJoint - expected) / (max - expected);
}
