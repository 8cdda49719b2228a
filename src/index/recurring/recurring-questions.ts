/**
 * Recurring-question groups as candidates to review: complete linkage over scored
 * question pairs, capped in size, ranked by their weakest link.
 *
 * Ranking by size put the worst groups first (the largest group joined "Should
 * governments fund open-source AI as public infrastructure?" with "Should managers
 * use AI to grade job applicants' written tests?" through intermediate questions).
 * Here every pair inside a group scores at least the threshold, so a group's
 * weakest link is its honest strength, and groups come strongest first, each with
 * every link's score. Storage-independent: the caller supplies candidate pairs
 * (from its k-NN search) and a scorer.
 *
 *   const groups = recurringGroups(questions.length, pairs, {
 *     threshold: 0, maxSize: 6, scoreOf, cosineOf, keyOf: (i) => salonOf(i),
 *   });
 */
import { groupComplete, type ScoredPair } from './group-pairs.js';

export interface RecurringGroupOptions {
  /** Every pair in a group scores at least this (in the scoring's units). */
  threshold: number;
  /** Largest group. */
  maxSize: number;
  /** Score of two members under the scoring in use (symmetric). */
  scoreOf: (i: number, j: number) => number;
  /** Plain cosine of two members, reported beside the score. */
  cosineOf: (i: number, j: number) => number;
  /** Members sharing a key never share a group (e.g. one question per salon). */
  keyOf?: (i: number) => string | readonly string[];
}

export interface GroupLink {
  a: number;
  b: number;
  score: number;
  cosine: number;
}

export interface RecurringGroup {
  /** Member indices, ascending. */
  members: number[];
  /** Every pair of members, strongest first. */
  links: GroupLink[];
  /** The lowest link score: the group's strength. */
  weakestLink: number;
}

/** Groups of ≥ 2 members, strongest weakest-link first (ties: higher mean link, then first member). */
export function recurringGroups(
  size: number,
  pairs: readonly ScoredPair[],
  options: RecurringGroupOptions,
): RecurringGroup[] {
  const groups = groupComplete(size, pairs, {
    threshold: options.threshold,
    scoreOf: options.scoreOf,
    maxSize: options.maxSize,
    keyOf: options.keyOf,
  });
  const described = groups.map((members) => {
    const links: GroupLink[] = [];
    for (let x = 0; x < members.length; x++) {
      for (let y = x + 1; y < members.length; y++) {
        const a = members[x] as number;
        const b = members[y] as number;
        links.push({ a, b, score: options.scoreOf(a, b), cosine: options.cosineOf(a, b) });
      }
    }
    links.sort((p, q) => q.score - p.score || p.a - q.a || p.b - q.b);
    const weakestLink = (links.at(-1) as GroupLink).score;
    const mean = links.reduce((s, l) => s + l.score, 0) / links.length;
    return { members, links, weakestLink, mean };
  });
  described.sort(
    (g, h) =>
      h.weakestLink - g.weakestLink ||
      h.mean - g.mean ||
      (g.members[0] as number) - (h.members[0] as number),
  );
  return described.map(({ members, links, weakestLink }) => ({ members, links, weakestLink }));
}
