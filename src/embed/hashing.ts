/**
 * `hashing` backend: a deterministic lexical embedder (signed feature hashing of
 * lower-cased word unigrams and bigrams). LEXICAL ONLY: two texts are close
 * when they share words, not when they mean the same thing ("Who pays?" and
 * "Who bears the cost?" are far apart). Use it for load and reliability tests
 * and wherever speed matters more than meaning; it needs no model and embeds
 * tens of thousands of texts per second.
 *
 *   const embedder = createHashingEmbedder({ backend: 'hashing', dim: 512 });
 *   const [v] = await embedder.embed(['open weights']); // Float32Array(512), |v| = 1
 */
import { throwIfAborted } from '../errors.js';
import { normalizeInPlace } from './batching.js';
import type { HashingEmbedderOptions } from './options.js';
import type { EmbedCallOptions, Embedder, EmbedderThresholds } from './types.js';

const WORD = /[\p{L}\p{N}]+(?:['’][\p{L}]+)*/gu;

/** FNV-1a over UTF-16 code units, seeded; then a murmur3 finaliser to spread the bits. */
function hash32(text: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Word unigrams and bigrams, the features the vector is built from. */
export function hashingFeatures(text: string): string[] {
  const words = text.toLowerCase().match(WORD) ?? [];
  const features = words.map((word) => `u:${word}`);
  for (let i = 1; i < words.length; i++) features.push(`b:${words[i - 1]} ${words[i]}`);
  // A text with no words still gets a unit vector (every text of that kind maps to it).
  if (features.length === 0) features.push('empty:');
  return features;
}

/** Embed one text synchronously (pure compute). */
export function hashText(text: string, dim: number, seed: number): Float32Array {
  const vector = new Float32Array(dim);
  for (const feature of hashingFeatures(text)) {
    const h = hash32(feature, seed);
    // Low bits pick the slot, the top bit the sign: collisions then cancel on
    // average instead of always adding up (Weinberger et al., feature hashing).
    const slot = h % dim;
    vector[slot] = (vector[slot] as number) + (h & 0x80000000 ? -1 : 1);
  }
  // Signed collisions can cancel every feature of a tiny text; fall back to the
  // unsigned slot of the first feature so the vector is never zero.
  if (vector.every((x) => x === 0))
    vector[hash32(hashingFeatures(text)[0] as string, seed) % dim] = 1;
  return normalizeInPlace(vector, 'hashing embed');
}

/**
 * Measured on `../shared/corpus` (bench/embed.ts): true paraphrases share few
 * words, so they score 0.10 on average and none reaches 0.4, while the
 * word-sharing adversarial negatives average 0.55. So similarQuestion 0.5 only
 * flags near-duplicate wording (70% of the negatives, no random cross-salon
 * question pair). relatedInsight 0.2: 5% of same-theme question × insight pairs
 * vs 1% of different-theme ones. That is all a lexical model can promise.
 */
const HASHING_THRESHOLDS: EmbedderThresholds = { similarQuestion: 0.5, relatedInsight: 0.2 };

export function createHashingEmbedder(
  options: HashingEmbedderOptions,
  thresholds: EmbedderThresholds = HASHING_THRESHOLDS,
): Embedder {
  const dim = options.dim ?? 512;
  const seed = options.seed ?? 0;
  const batchSize = options.batchSize ?? 256;
  const id = seed === 0 ? `hashing@${dim}` : `hashing@${dim}:seed${seed}`;
  return Object.freeze({
    id,
    dim,
    thresholds: Object.freeze({ ...thresholds }),
    async embed(texts: readonly string[], call: EmbedCallOptions = {}): Promise<Float32Array[]> {
      const out: Float32Array[] = [];
      for (let start = 0; start < texts.length; start += batchSize) {
        throwIfAborted(call.signal, `${id} embed`);
        for (const text of texts.slice(start, start + batchSize))
          out.push(hashText(text, dim, seed));
        call.onProgress?.({ stage: 'embed', done: out.length, total: texts.length });
        // Yield between batches so a large job does not starve timers and abort handlers.
        if (out.length < texts.length) await new Promise((resolve) => setImmediate(resolve));
      }
      throwIfAborted(call.signal, `${id} embed`);
      return out;
    },
    async dispose(): Promise<void> {},
  });
}

export { HASHING_THRESHOLDS };
