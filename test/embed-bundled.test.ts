/**
 * The bundled USE-lite embedder: contract, batching, progress, cancellation,
 * threads, and meaning on the labelled corpus (skipped when absent).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createEmbedder,
  type Embedder,
  type EmbedProgress,
  USE_LITE_THRESHOLDS,
} from '../src/embed/index.js';
import { isSalonLensError } from '../src/errors.js';
import {
  CORPUS_DIR,
  cosine,
  loadEmbedCorpus,
  mean,
  themeSeparation,
} from './fixtures/embed-corpus.js';

const texts = [
  'Who is liable when an open model reproduces copyrighted text verbatim?',
  'Teachers',
  'Releasing weights without the training data, training code, or a permissive license is closer to freeware than to open source in the traditional software sense.',
  'Should schools ban AI tools?',
  '',
  'Companies promise they will not train on customer data, but few can verify it.',
];

let embedder: Embedder;
beforeAll(async () => {
  embedder = await createEmbedder({ threads: 1, batchSize: 2 });
});
afterAll(async () => {
  await embedder?.dispose();
});

describe('bundled USE-lite embedder', () => {
  it('is the default, 512-d, with its own calibrated thresholds', async () => {
    expect(embedder.id).toBe('use-lite@512');
    expect(embedder.dim).toBe(512);
    expect(embedder.thresholds).toEqual(USE_LITE_THRESHOLDS);
  });

  it('returns unit Float32Arrays in input order', async () => {
    const vectors = await embedder.embed(texts);
    expect(vectors).toHaveLength(texts.length);
    for (const v of vectors) {
      expect(v).toBeInstanceOf(Float32Array);
      expect(v).toHaveLength(512);
      expect(Math.sqrt(cosine(v, v))).toBeCloseTo(1, 5);
    }
    const reversed = await embedder.embed([...texts].reverse());
    vectors.forEach((v, i) => {
      expect(cosine(v, reversed[texts.length - 1 - i] as Float32Array)).toBeGreaterThan(0.99999);
    });
  });

  it('gives the same vectors in length-bucketed batches as one by one', async () => {
    const batched = await embedder.embed(texts);
    for (let i = 0; i < texts.length; i++) {
      const [single] = await embedder.embed([texts[i] as string]);
      expect(cosine(batched[i] as Float32Array, single as Float32Array)).toBeGreaterThan(0.99999);
    }
  });

  it('places paraphrases closer than unrelated sentences', async () => {
    const [a, b, c] = await embedder.embed([
      'Who bears legal responsibility when a model copies a copyrighted passage?',
      'Who is liable when an open model reproduces copyrighted text verbatim?',
      'Teachers spend evenings grading essays.',
    ]);
    expect(cosine(a as Float32Array, b as Float32Array)).toBeGreaterThan(
      cosine(a as Float32Array, c as Float32Array) + 0.2,
    );
  });

  it('reports progress once per batch, monotonically, ending at the total', async () => {
    const events: EmbedProgress[] = [];
    await embedder.embed(texts, { onProgress: (p) => events.push(p) });
    expect(events.map((e) => e.done)).toEqual([2, 4, 6]);
    expect(events.every((e) => e.total === texts.length)).toBe(true);
  });

  it('stops between batches when aborted, with ABORTED', async () => {
    const controller = new AbortController();
    let batches = 0;
    const error = await embedder
      .embed(texts, {
        signal: controller.signal,
        onProgress: () => {
          batches++;
          controller.abort(new Error('user pressed ctrl-c'));
        },
      })
      .catch((e: unknown) => e);
    expect(isSalonLensError(error, 'ABORTED')).toBe(true);
    expect(batches).toBe(1);
    expect(await embedder.embed([])).toEqual([]);
  });
});

describe('bundled USE-lite with two threads', () => {
  let pooled: Embedder;
  beforeAll(async () => {
    pooled = await createEmbedder({ backend: 'bundled', threads: 2, batchSize: 2 });
  });
  afterAll(async () => {
    await pooled?.dispose();
  });

  it('matches the single-thread vectors, in input order', async () => {
    const [fromPool, single] = await Promise.all([pooled.embed(texts), embedder.embed(texts)]);
    fromPool.forEach((v, i) => {
      expect(cosine(v, single[i] as Float32Array)).toBeGreaterThan(0.99999);
    });
  });

  it('reports every batch once and ends at the total', async () => {
    const events: EmbedProgress[] = [];
    await pooled.embed(texts, { onProgress: (p) => events.push(p) });
    expect(events.map((e) => e.done)).toEqual([2, 4, 6]);
  });

  it('rejects promptly on abort and stays usable afterwards', async () => {
    const controller = new AbortController();
    const many = Array.from({ length: 40 }, (_, i) => `question number ${i} about open models`);
    const run = pooled.embed(many, { signal: controller.signal });
    controller.abort();
    const error = await run.catch((e: unknown) => e);
    expect(isSalonLensError(error, 'ABORTED')).toBe(true);
    const after = await pooled.embed(texts.slice(0, 3));
    expect(after).toHaveLength(3);
  });

  it('can be disposed twice and refuses work afterwards', async () => {
    const short = await createEmbedder({ threads: 2 });
    await short.dispose();
    await short.dispose();
    const error = await short.embed(['x']).catch((e: unknown) => e);
    expect(isSalonLensError(error, 'EMBED_FAILED')).toBe(true);
  });
});

const corpus = await loadEmbedCorpus();
if (!corpus) console.warn(`embed-bundled: skipping corpus quality tests, ${CORPUS_DIR} is absent`);

describe.skipIf(!corpus)('bundled USE-lite meaning on ../shared/corpus', () => {
  let byText: Map<string, Float32Array>;
  beforeAll(async () => {
    if (!corpus) return;
    const unique = [...new Set(corpus.items.map((item) => item.text))];
    const vectors = await embedder.embed(unique);
    byText = new Map(unique.map((text, i) => [text, vectors[i] as Float32Array]));
  });
  const sims = (pairs: [string, string][]) =>
    pairs.map(([a, b]) => cosine(byText.get(a) as Float32Array, byText.get(b) as Float32Array));

  it('scores cross-salon paraphrase pairs clearly above shuffled cross-salon question pairs', () => {
    if (!corpus) return;
    expect(corpus.pairs).toHaveLength(40);
    const paraphrases = mean(sims(corpus.pairs));
    const shuffled = mean(sims(corpus.shuffled));
    expect(paraphrases).toBeGreaterThan(shuffled + 0.1);
  });

  it('puts items with the same theme label closer than items with different labels', () => {
    if (!corpus) return;
    const { same, different } = themeSeparation(
      corpus.items,
      corpus.items.map((item) => byText.get(item.text) as Float32Array),
    );
    expect(same).toBeGreaterThan(different + 0.05);
  });

  it('its similarQuestion threshold keeps most paraphrases and drops most random pairs', () => {
    if (!corpus) return;
    const t = embedder.thresholds.similarQuestion;
    const share = (xs: number[]) => xs.filter((x) => x >= t).length / xs.length;
    expect(share(sims(corpus.pairs))).toBeGreaterThan(0.5);
    expect(share(sims(corpus.shuffled))).toBeLessThan(0.5);
  });
});
