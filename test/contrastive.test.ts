/**
 * The contrastive view of question pairs (src/index/recurring/contrastive.ts): shared words
 * come out whole, pairs with nothing left to contrast keep their plain evidence,
 * only candidate pairs get a score, and the score is the average of CSLS on the
 * full texts and CSLS on the contrast texts.
 */
import { describe, expect, it } from 'vitest';
import { contrastiveScores } from '../src/index/recurring/contrastive.js';
import { withoutSharedWords } from '../src/index/recurring/shared-words.js';
import { hashingEmbedder } from './helpers/index-embedders.js';

describe('withoutSharedWords', () => {
  it('removes the content words both texts use, keeping order and function words', () => {
    expect(
      withoutSharedWords(
        'Can an artist copyright a distinctive visual style?',
        'Can a teacher copyright a distinctive teaching method?',
      ),
    ).toEqual(['Can an artist a visual style?', 'Can a teacher a teaching method?']);
  });

  it('matches words as the lexical index does: case, plurals, accents', () => {
    expect(withoutSharedWords('Do Models leak data?', 'Can a model forget?')).toEqual([
      'Do leak data?',
      'Can a forget?',
    ]);
    expect(withoutSharedWords('Le café ouvert?', 'Un cafe fermé?')).toEqual([
      'Le ouvert?',
      'Un fermé?',
    ]);
  });

  it('is undefined when no content word is shared', () => {
    expect(withoutSharedWords('Who owns the output?', 'Should schools ban phones?')).toBe(
      undefined,
    );
  });
});

describe('contrastiveScores', () => {
  const texts = [
    'Can an artist copyright a distinctive visual style?',
    'Can a teacher copyright a distinctive teaching method?',
    'May a painter claim ownership of an aesthetic?',
    'Copyright',
  ];

  it('scores candidate pairs only, symmetric, averaging the two CSLS views', async () => {
    const embedder = await hashingEmbedder(256);
    const embedded: string[][] = [];
    const scores = await contrastiveScores({
      texts,
      candidates: [
        [
          { index: 1, cosine: 0.9 },
          { index: 2, cosine: 0.4 },
          { index: 3, cosine: 0.5 },
        ],
        [{ index: 0, cosine: 0.9 }],
        [{ index: 0, cosine: 0.4 }],
        [{ index: 0, cosine: 0.5 }],
      ],
      fullScore: (_i, _j, cosine) => cosine,
      radiusCap: 1,
      embed: async (list) => {
        embedded.push(list);
        return embedder.embed(list);
      },
    });
    // One embedding call, each contrast text once; "Copyright" alone has nothing left.
    const contrast = ['Can an artist a visual style?', 'Can a teacher a teaching method?'];
    expect(embedded).toHaveLength(1);
    expect([...(embedded[0] ?? [])].sort()).toEqual([...contrast].sort());
    expect(scores.score(0, 1)).toBe(scores.score(1, 0));
    expect(scores.score(1, 2)).toBeUndefined();

    // By hand: the look-alike's contrast cosine m; each question's radius is the mean
    // of its (at most 5) candidates' contrast cosines; the score averages both views.
    const [artist, teacher] = await embedder.embed(contrast);
    let m = 0;
    for (let d = 0; d < 256; d++) m += (artist?.[d] as number) * (teacher?.[d] as number);
    const r0 = (m + 0.4 + 0.5) / 3;
    expect(scores.score(0, 1)).toBeCloseTo((0.9 + (2 * m - r0 - m)) / 2, 10);
    // No shared word: the plain cosine is the contrast cosine too.
    expect(scores.score(0, 2)).toBeCloseTo((0.4 + (2 * 0.4 - r0 - 0.4)) / 2, 10);
    // "Copyright" has nothing left once the shared word goes: its plain cosine stands in.
    expect(scores.score(0, 3)).toBeCloseTo((0.5 + (2 * 0.5 - r0 - 0.5)) / 2, 10);
  });

  it('treats questions differing only in stopwords as the same question', async () => {
    const embedder = await hashingEmbedder(64);
    const embedded: string[] = [];
    const scores = await contrastiveScores({
      texts: ['Who decides how privacy rules apply?', 'And who decides how privacy rules apply?'],
      candidates: [[{ index: 1, cosine: 0.7 }], [{ index: 0, cosine: 0.7 }]],
      fullScore: (_i, _j, cosine) => cosine,
      radiusCap: 0.8,
      embed: async (list) => {
        embedded.push(...list);
        return embedder.embed(list);
      },
    });
    // Nothing to embed; contrast cosine 1 and both radii capped at 0.8: (0.7 + 0.4) / 2.
    expect(embedded).toEqual([]);
    expect(scores.score(0, 1)).toBeCloseTo((0.7 + (2 - 0.8 - 0.8)) / 2, 10);
  });
});
