/**
 * The in-memory scan behind recurring questions (question-neighbours.ts) must return
 * what a per-wording exact store query would: every other question ranked by cosine
 * (ties by item id), the wording's own occurrences left out, and with crossSalonOnly
 * the first occurrence's salon too. Checked against a full sort on seeded vectors with
 * repeats and tied cosines.
 */
import { describe, expect, it } from 'vitest';
import { nearestQuestions } from '../src/index/recurring/question-neighbours.js';
import { questionWordings } from '../src/index/recurring/question-wordings.js';
import { dot, type StoredRow } from '../src/index/storage/seam.js';

function rowsOf(texts: string[]): StoredRow[] {
  let seed = 7;
  const next = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31 - 0.5;
  };
  const byText = new Map<string, Float32Array>();
  return texts.map((text, i) => {
    // Repeats of a text share its vector, so their cosines to others tie.
    const vector = byText.get(text) ?? Float32Array.from({ length: 8 }, next);
    byText.set(text, vector);
    const salonId = `s${i % 5}`;
    return {
      item: {
        id: `${salonId}#question-${i}`,
        salonId,
        section: 'question',
        text,
        ordinal: i + 1,
        line: i + 1,
      },
      vector,
    };
  });
}

describe('nearestQuestions', () => {
  // 43 rows: the scan's tiles of 16 end in partial blocks of rows on both sides.
  const texts = Array.from({ length: 43 }, (_, i) => `Question ${i % 17} here?`);
  const rows = rowsOf(texts);
  const wordings = questionWordings(texts);

  for (const cross of [false, true]) {
    it(`matches a full sort of every wording's candidates (crossSalonOnly ${cross})`, () => {
      const fractions: number[] = [];
      const lists = nearestQuestions(rows, wordings, 6, cross, (f) => fractions.push(f));
      // One report per tile of 16 rows and one at the end, from 0 to 1 by the pairs done.
      expect(fractions).toHaveLength(4);
      expect(fractions[0]).toBe(0);
      expect(fractions.at(-1)).toBe(1);
      expect(fractions[1]).toBeCloseTo(1 - (27 * 26) / (43 * 42), 12);
      expect([...fractions].sort((a, b) => a - b)).toEqual(fractions);
      expect(lists).toHaveLength(17);
      wordings.members.forEach((members, w) => {
        const rep = rows[members[0] as number] as StoredRow;
        const expected = rows
          .map((r, row) => ({ row, cosine: dot(rep.vector, r.vector), id: r.item.id }))
          .filter(({ row }) => wordings.wordingOf[row] !== w)
          .filter(({ row }) => !cross || rows[row]?.item.salonId !== rep.item.salonId)
          .sort((a, b) => b.cosine - a.cosine || (a.id < b.id ? -1 : 1))
          .slice(0, 6)
          .map(({ row, cosine }) => ({ row, cosine }));
        expect(lists[w]).toEqual(expected);
      });
    });
  }
});
