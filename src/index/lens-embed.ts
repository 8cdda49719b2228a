/**
 * The lens's vectors from its embedder: checked (count, dimension) and normalised,
 * for queries and for writes; and a caller's own vectors (`vectorOf`), checked alike.
 *
 *   const vectors = new LensVectors(embedder, dim);
 *   const [q] = await vectors.embed(['who owns model weights?']);
 */
import type { Embedder } from '../embed/index.js';
import { SalonLensError } from '../errors.js';
import type { Item } from '../parse/index.js';
import { unitVector } from '../util/vector.js';
import type { LensProgress } from './options.js';

export class LensVectors {
  readonly #embedder: Embedder;
  readonly #dim: number;

  constructor(embedder: Embedder, dim: number) {
    this.#embedder = embedder;
    this.#dim = dim;
  }

  async embed(
    texts: string[],
    signal?: AbortSignal,
    progress?: (p: LensProgress) => void,
  ): Promise<Float32Array[]> {
    const vectors = await this.#embedder.embed(texts, {
      signal,
      onProgress: progress
        ? (p) => progress({ stage: 'embed', done: p.done, total: p.total })
        : undefined,
    });
    const dim = this.#dim;
    if (vectors.length !== texts.length || vectors.some((v) => v.length !== dim)) {
      throw new SalonLensError(
        'EMBED_FAILED',
        `Embedder ${this.#embedder.id} returned ${vectors.length} vectors of dim ${vectors[0]?.length} for ${texts.length} texts; expected dim ${dim}.`,
      );
    }
    return vectors.map((v) =>
      unitVector(
        v,
        dim,
        () =>
          new SalonLensError('EMBED_FAILED', 'The embedder returned a zero or non-finite vector.'),
      ),
    );
  }

  /** A caller's precomputed vector for `item`, checked and normalised; undefined: embed it. */
  given(
    vectorOf: (item: Item) => ArrayLike<number> | undefined,
    item: Item | undefined,
  ): Float32Array | undefined {
    if (!item) return undefined;
    const v = vectorOf(item);
    if (v === undefined) return undefined;
    return unitVector(v, this.#dim, (problem) => {
      return new SalonLensError('INVALID_OPTIONS', `addSalons vectorOf(${item.id}): ${problem}`, {
        details: { itemId: item.id, dim: this.#dim },
      });
    });
  }
}
