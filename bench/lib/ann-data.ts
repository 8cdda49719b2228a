/**
 * Seeded ANN bench datasets, cached in the OS temp dir: item vectors, held-out query
 * vectors, a section per item, and the exact top-k of every query with and without
 * each filter (the ground truth for recall@k).
 *
 *   const dir = await prepareAnnDataset({ kind: 'real', n: 100_000, queries: 1000 });
 *   const ds = await loadAnnDataset(dir); // in each worker process
 *
 * `real`: USE-lite vectors of the labelled corpus items (bench/lib/quality-corpus.ts
 * embeds and caches them), each repeated n / 390 times with seeded Gaussian noise of
 * norm `noise` and re-normalised; queries are further noisy copies, never in the set.
 * `random`: seeded uniform unit vectors, the worst case for graph indexes (no
 * structure to exploit). Sections follow the corpus mix (46% insight, 39% question,
 * 15% disagreement), so section filters keep realistic fractions of the store.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { seededRandom } from '../../src/util/random.js';
import { loadLabelledCorpus } from './quality-corpus.js';
import { REPO_ROOT } from './results.js';

export const SECTION_NAMES = ['insight', 'question', 'disagreement'] as const;
/** Items per synthetic salon: a salon filter then matches 100 items (the exact-search path). */
export const SALON_SIZE = 100;
export const K = 10;

/**
 * Query filters measured: none, two section filters (39% and 15% of the items) and
 * one salon (100 items). The salon of query `qi` is `qi * 7919 mod salons`.
 */
export const FILTER_NAMES = ['none', 'question', 'disagreement', 'salon'] as const;
export type FilterName = (typeof FILTER_NAMES)[number];

export interface AnnDatasetSpec {
  kind: 'real' | 'random';
  n: number;
  dim?: number;
  queries: number;
  seed?: number;
  /** Norm of the noise added to each copy of a real vector (0.3: cosine ~0.96 to its source). */
  noise?: number;
}

export interface AnnDataset {
  kind: 'real' | 'random';
  n: number;
  dim: number;
  seed: number;
  noise: number;
  /** Where the base vectors came from. */
  source: string;
  /** n × dim, row-major, unit length. */
  vectors: Float32Array;
  queryCount: number;
  /** queryCount × dim, unit length. */
  queries: Float32Array;
  /** Index into SECTION_NAMES per item. */
  sections: Uint8Array;
  salonCount: number;
  /** Exact top-K item indices per query (queryCount × K, best first; -1 pads short lists). */
  truth: Record<FilterName, Int32Array>;
}

interface Meta {
  kind: 'real' | 'random';
  n: number;
  dim: number;
  seed: number;
  noise: number;
  source: string;
  queryCount: number;
  salonCount: number;
}

const CACHE_ROOT = path.join(os.tmpdir(), 'salon-lens-bench');

export function salonOfQuery(ds: Pick<AnnDataset, 'salonCount'>, qi: number): number {
  return (qi * 7919) % ds.salonCount;
}

/** Item-index predicate of a filter for query `qi`, or undefined for no filter. */
export function filterPredicate(
  ds: Pick<AnnDataset, 'sections' | 'salonCount'>,
  filter: FilterName,
  qi: number,
): ((i: number) => boolean) | undefined {
  const { sections } = ds;
  switch (filter) {
    case 'none':
      return undefined;
    case 'question':
      return (i) => sections[i] === 1;
    case 'disagreement':
      return (i) => sections[i] === 2;
    case 'salon': {
      const salon = salonOfQuery(ds, qi);
      return (i) => Math.floor(i / SALON_SIZE) === salon;
    }
  }
}

/** Fraction of the items a filter keeps (the salon filter: one salon). */
export function filterSelectivity(ds: AnnDataset, filter: FilterName): number {
  if (filter === 'none') return 1;
  if (filter === 'salon') return SALON_SIZE / ds.n;
  const want = filter === 'question' ? 1 : 2;
  let count = 0;
  for (const s of ds.sections) if (s === want) count++;
  return count / ds.n;
}

/** Build (or find) the cached dataset; returns its folder. Deterministic per spec. */
export async function prepareAnnDataset(
  spec: AnnDatasetSpec,
  log: (line: string) => void = () => {},
): Promise<string> {
  const dim = spec.dim ?? 512;
  const seed = spec.seed ?? 42;
  const noise = spec.noise ?? 0.3;
  const key = createHash('sha256')
    .update(JSON.stringify({ v: 1, kind: spec.kind, n: spec.n, dim, q: spec.queries, seed, noise }))
    .digest('hex')
    .slice(0, 12);
  const dir = path.join(CACHE_ROOT, `ann-${spec.kind}-${spec.n}-${key}`);
  if (existsSync(path.join(dir, 'meta.json'))) return dir;

  const random = seededRandom(seed);
  const gauss = gaussian(random);
  let bases: readonly Float32Array[];
  let baseSections: number[];
  let source: string;
  if (spec.kind === 'real') {
    const corpus = await loadLabelledCorpus(path.resolve(REPO_ROOT, '../shared/corpus'));
    if (!corpus) throw new Error('real dataset needs ../shared/corpus; use --data random');
    bases = corpus.input.vectors;
    baseSections = corpus.input.items.map((item) => SECTION_NAMES.indexOf(item.section));
    source = `${bases.length} labelled corpus items, ${corpus.vectorSource}`;
    if (bases[0]?.length !== dim) throw new Error(`corpus vectors are ${bases[0]?.length}-d`);
  } else {
    bases = [];
    baseSections = [];
    source = 'seeded uniform random unit vectors';
  }

  log(`  generating ${spec.kind} dataset n=${spec.n} (${source})`);
  const sigma = noise / Math.sqrt(dim);
  const sectionOf = (r: number) => (r < 0.46 ? 0 : r < 0.85 ? 1 : 2);
  // Items cycle through the bases (equal copies of each); queries pick bases at random.
  const make = (count: number, sections?: Uint8Array): Float32Array => {
    const out = new Float32Array(count * dim);
    for (let i = 0; i < count; i++) {
      const row = out.subarray(i * dim, (i + 1) * dim);
      if (spec.kind === 'real') {
        const b = sections ? i % bases.length : Math.floor(random() * bases.length);
        const base = bases[b] as Float32Array;
        for (let j = 0; j < dim; j++) row[j] = (base[j] as number) + sigma * gauss();
        if (sections) sections[i] = baseSections[b] as number;
      } else {
        for (let j = 0; j < dim; j++) row[j] = gauss();
        if (sections) sections[i] = sectionOf(random());
      }
      normalise(row);
    }
    return out;
  };
  const sections = new Uint8Array(spec.n);
  const vectors = make(spec.n, sections);
  const queries = make(spec.queries);
  const salonCount = Math.ceil(spec.n / SALON_SIZE);
  const meta: Meta = {
    kind: spec.kind,
    n: spec.n,
    dim,
    seed,
    noise,
    source,
    queryCount: spec.queries,
    salonCount,
  };

  log(
    `  exact top-${K} for ${spec.queries} queries × ${FILTER_NAMES.length} filters (cached once)`,
  );
  const truth = exactTruth({ ...meta, vectors, queries, sections });

  const tmp = `${dir}.${process.pid}.tmp`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  await writeFile(path.join(tmp, 'vectors.f32'), bytes(vectors));
  await writeFile(path.join(tmp, 'queries.f32'), bytes(queries));
  await writeFile(path.join(tmp, 'sections.u8'), bytes(sections));
  for (const f of FILTER_NAMES) await writeFile(path.join(tmp, `truth-${f}.i32`), bytes(truth[f]));
  await writeFile(path.join(tmp, 'meta.json'), JSON.stringify(meta));
  await rm(dir, { recursive: true, force: true });
  await rename(tmp, dir);
  return dir;
}

export async function loadAnnDataset(dir: string): Promise<AnnDataset> {
  const meta = JSON.parse(await readFile(path.join(dir, 'meta.json'), 'utf8')) as Meta;
  // Large reads get their own aligned ArrayBuffer, so the views cost no copy (a copy
  // would leave freed pages in RSS and blur the workers' memory deltas); small pooled
  // buffers may be unaligned and are copied.
  const view = async <T>(
    name: string,
    make: (b: ArrayBuffer, offset: number, length: number) => T,
  ) => {
    const b = await readFile(path.join(dir, name));
    if (b.byteOffset % 4 === 0)
      return make(b.buffer as ArrayBuffer, b.byteOffset, b.byteLength / 4);
    const copy = b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
    return make(copy, 0, b.byteLength / 4);
  };
  const f32 = (name: string) => view(name, (b, o, l) => new Float32Array(b, o, l));
  const i32 = (name: string) => view(name, (b, o, l) => new Int32Array(b, o, l));
  const sectionsBuf = await readFile(path.join(dir, 'sections.u8'));
  const truth = {} as Record<FilterName, Int32Array>;
  for (const f of FILTER_NAMES) truth[f] = await i32(`truth-${f}.i32`);
  return {
    ...meta,
    vectors: await f32('vectors.f32'),
    queries: await f32('queries.f32'),
    sections: new Uint8Array(sectionsBuf),
    truth,
  };
}

/** recall@k of one answer: |answer ∩ truth| / |truth| (truth padded with -1 when short). */
export function recallOf(answer: readonly number[], truth: Int32Array, qi: number): number {
  const row = truth.subarray(qi * K, (qi + 1) * K);
  let size = 0;
  let found = 0;
  const set = new Set(answer.slice(0, K));
  for (const t of row) {
    if (t < 0) continue;
    size++;
    if (set.has(t)) found++;
  }
  return size === 0 ? 1 : found / size;
}

function exactTruth(
  ds: Pick<
    AnnDataset,
    'n' | 'dim' | 'vectors' | 'queries' | 'queryCount' | 'sections' | 'salonCount'
  >,
): Record<FilterName, Int32Array> {
  const { n, dim, vectors, queries, queryCount } = ds;
  const truth = {} as Record<FilterName, Int32Array>;
  for (const f of FILTER_NAMES) truth[f] = new Int32Array(queryCount * K).fill(-1);
  const scores = new Float64Array(n);
  for (let qi = 0; qi < queryCount; qi++) {
    const q = queries.subarray(qi * dim, (qi + 1) * dim);
    for (let i = 0; i < n; i++) {
      let s = 0;
      const o = i * dim;
      for (let j = 0; j < dim; j++) s += (q[j] as number) * (vectors[o + j] as number);
      scores[i] = s;
    }
    for (const f of FILTER_NAMES) {
      const keep = filterPredicate(ds, f, qi);
      const top = topK(scores, keep);
      truth[f].set(top, qi * K);
    }
  }
  return truth;
}

/** Indices of the K best scores, best first, ties by lower index. */
function topK(scores: Float64Array, keep: ((i: number) => boolean) | undefined): number[] {
  const idx: number[] = [];
  for (let i = 0; i < scores.length; i++) {
    if (keep && !keep(i)) continue;
    const s = scores[i] as number;
    if (idx.length === K) {
      if (s <= (scores[idx[K - 1] as number] as number)) continue;
      idx.pop();
    }
    let p = idx.length;
    while (p > 0 && (scores[idx[p - 1] as number] as number) < s) p--;
    idx.splice(p, 0, i);
  }
  return idx;
}

function normalise(row: Float32Array): void {
  let norm = 0;
  for (const x of row) norm += x * x;
  norm = Math.sqrt(norm) || 1;
  for (let j = 0; j < row.length; j++) row[j] = (row[j] as number) / norm;
}

/** Box-Muller on a seeded uniform source. */
function gaussian(random: () => number): () => number {
  return () => {
    const u = random() || Number.MIN_VALUE;
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  };
}

function bytes(a: Float32Array | Int32Array | Uint8Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}
