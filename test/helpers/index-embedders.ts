/**
 * Embedders for the index tests: the real `hashing` backend (fast, lexical,
 * deterministic), the real bundled USE-lite model for the corpus tests, and a
 * wrapper that counts calls so tests can prove what was (not) re-embedded.
 *
 *   const embedder = countingEmbedder(await hashingEmbedder());
 *   await lens.addSalons(salons);
 *   expect(embedder.texts).toBe(0);
 */
import { createEmbedder, type Embedder } from '../../src/embed/index.js';

export function hashingEmbedder(dim = 64, seed = 0): Promise<Embedder> {
  return createEmbedder({ backend: 'hashing', dim, seed });
}

export interface CountingEmbedder extends Embedder {
  /** embed() calls so far. */
  calls: number;
  /** Texts embedded so far. */
  texts: number;
}

export function countingEmbedder(inner: Embedder): CountingEmbedder {
  const wrapper: CountingEmbedder = {
    id: inner.id,
    dim: inner.dim,
    thresholds: inner.thresholds,
    calls: 0,
    texts: 0,
    async embed(texts, call) {
      wrapper.calls++;
      wrapper.texts += texts.length;
      return inner.embed(texts, call);
    },
    dispose: () => inner.dispose(),
  };
  return wrapper;
}

/**
 * Pseudo-random unit vectors, clustered by the text's first word, seeded by the
 * text: a stand-in for a semantic model when a test needs thousands of distinct,
 * tie-free vectors (the hashing backend gives near-duplicates for synthetic text).
 */
export function randomVectorEmbedder(dim = 32): Embedder {
  const gaussian = (seed: number) => {
    let state = seed >>> 0 || 1;
    const next = () => {
      // xorshift32: tiny, deterministic, good enough for test data.
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      return (state >>> 0) / 0x100000000;
    };
    return () => Math.sqrt(-2 * Math.log(next() || 1e-12)) * Math.cos(2 * Math.PI * next());
  };
  const hash = (text: string) => {
    let h = 0x811c9dc5;
    for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
    return h >>> 0;
  };
  const embedOne = (text: string) => {
    const center = gaussian(hash(text.split(' ')[0] ?? ''));
    const noise = gaussian(hash(text));
    const v = Float32Array.from({ length: dim }, () => center() + 0.8 * noise());
    const norm = Math.hypot(...v);
    return v.map((x) => x / norm);
  };
  return {
    id: `test-random@${dim}`,
    dim,
    thresholds: { similarQuestion: 0.8, relatedInsight: 0.6 },
    embed: async (texts) => texts.map(embedOne),
    dispose: async () => {},
  };
}
