/**
 * Build ReportData for the bundled examples through the real pipeline pieces
 * that exist: loadSalons → an embedder → the lens store (vectors and recurring
 * questions) → clusterThemes → buildReportData.
 *
 *   const { data, notes } = await buildExampleReport({ builtAt: FIXED_BUILT_AT });
 *
 * Stages still being written are reached by dynamic import of their door
 * (`src/embed/index.js`, `src/cluster/index.js`); while a door is missing a
 * stand-in is used and named in `notes`, so a test log shows which path ran.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { kmeans } from 'ml-kmeans';
import type { Theme, ThemeItemRef, ThemesResult } from '../../src/cluster/index.js';
import { createLens } from '../../src/index/index.js';
import { type Item, loadSalons, type Salon } from '../../src/parse/index.js';
import { buildReportData, type ReportData } from '../../src/report/index.js';

export const FIXED_BUILT_AT = '2025-04-01T09:30:00.000Z';
const ROOT = path.resolve(import.meta.dirname, '../..');
export const EXAMPLES_DIR = path.join(ROOT, 'examples/salons');
export const FIXTURE_DIR = path.join(ROOT, 'test/fixtures/report/salons');

interface EmbedderLike {
  readonly id: string;
  readonly dim: number;
  readonly thresholds: { similarQuestion: number; relatedInsight: number };
  embed(texts: readonly string[]): Promise<Float32Array[]>;
  dispose(): Promise<void>;
}

export async function buildExampleReport(options: { builtAt: string }): Promise<{
  data: ReportData;
  salons: Salon[];
  notes: string[];
}> {
  const notes: string[] = [];
  const dir = (await hasDocuments(EXAMPLES_DIR)) ? EXAMPLES_DIR : FIXTURE_DIR;
  if (dir === FIXTURE_DIR)
    notes.push('examples/salons is empty: using test/fixtures/report/salons');
  const { salons } = await loadSalons([dir]);

  const embedder = await loadEmbedder(notes);
  const storeDir = await mkdtemp(path.join(tmpdir(), 'salon-lens-report-'));
  try {
    const lens = await createLens(storeDir, { embedder });
    await lens.addSalons(salons);
    const { items, vectors } = await lens.snapshot();
    const recurringQuestions = await lens.similarQuestions();
    await lens.close();

    const themes = await clusterOrStandIn({ salons, items, vectors, embedder }, notes);
    const data = buildReportData({
      title: 'Example salon themes',
      salons,
      items,
      vectors,
      themes,
      recurringQuestions,
      embedder: { id: embedder.id, dim: embedder.dim },
      builtAt: options.builtAt,
    });
    return { data, salons, notes };
  } finally {
    await embedder.dispose();
    await rm(storeDir, { recursive: true, force: true });
  }
}

async function hasDocuments(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).some((f) => /\.(md|txt)$/.test(f));
  } catch {
    return false;
  }
}

/** Dynamic import of a stage door that may not exist yet (undefined when missing). */
async function importDoor(relative: string): Promise<Record<string, unknown> | undefined> {
  try {
    return (await import(/* @vite-ignore */ path.join(ROOT, relative))) as Record<string, unknown>;
  } catch (error) {
    if (
      String((error as Error).message).match(/Cannot find|Failed to load|not found|does not exist/i)
    ) {
      return undefined;
    }
    throw error;
  }
}

async function loadEmbedder(notes: string[]): Promise<EmbedderLike> {
  const door = await importDoor('src/embed/index.ts');
  if (typeof door?.createEmbedder === 'function') {
    return (await (door.createEmbedder as () => Promise<EmbedderLike>)()) as EmbedderLike;
  }
  notes.push('src/embed/index.ts missing: using a test-local hashing embedder');
  return testHashingEmbedder();
}

/** Word-hashing bag of words, L2-normalised: enough lexical signal to cluster the examples. */
function testHashingEmbedder(dim = 256): EmbedderLike {
  const vectorise = (text: string) => {
    const v = new Float32Array(dim);
    const words = text.toLowerCase().match(/[a-z]{4,}/g) ?? [];
    for (const word of words) {
      let h = 2166136261;
      for (let i = 0; i < word.length; i++) h = Math.imul(h ^ word.charCodeAt(i), 16777619);
      v[(h >>> 0) % dim] = (v[(h >>> 0) % dim] ?? 0) + 1;
    }
    const norm = Math.hypot(...v) || 1;
    return v.map((x) => x / norm);
  };
  return {
    id: 'test-hashing@256',
    dim,
    thresholds: { similarQuestion: 0.3, relatedInsight: 0.2 },
    embed: async (texts) => texts.map(vectorise),
    dispose: async () => {},
  };
}

interface ClusterInput {
  salons: Salon[];
  items: Item[];
  vectors: Float32Array[];
  embedder: EmbedderLike;
}

async function clusterOrStandIn(input: ClusterInput, notes: string[]): Promise<ThemesResult> {
  const door = await importDoor('src/cluster/index.ts');
  if (typeof door?.clusterThemes === 'function') {
    const cluster = door.clusterThemes as (i: unknown, o: unknown) => { result: ThemesResult };
    return cluster(
      {
        salons: input.salons.map((s) => ({ id: s.id, title: s.title, date: s.date })),
        items: input.items,
        vectors: input.vectors,
        embedderId: input.embedder.id,
        thresholds: { relatedInsight: input.embedder.thresholds.relatedInsight },
      },
      { k: 'auto' },
    ).result;
  }
  notes.push('src/cluster/index.ts missing: using a stand-in ThemesResult (seeded k-means, k = 5)');
  return standInThemes(input, 5);
}

/**
 * A hand-rolled ThemesResult of the right shape (seeded k-means, crude keywords)
 * so the renderer can be exercised before the cluster stage lands. Not a
 * reference for clustering quality.
 */
function standInThemes(
  { salons, items, vectors, embedder }: ClusterInput,
  k: number,
): ThemesResult {
  const rows = vectors.map((v) => Array.from(v));
  const { clusters, centroids } = kmeans(rows, k, { seed: 42, initialization: 'kmeans++' });
  const dateOf = new Map(salons.map((s) => [s.id, s.date]));
  const cos = (a: ArrayLike<number>, b: ArrayLike<number>) => {
    let s = 0;
    let na = 0;
    let nb = 0;
    for (let i = 0; i < a.length; i++) {
      s += (a[i] ?? 0) * (b[i] ?? 0);
      na += (a[i] ?? 0) ** 2;
      nb += (b[i] ?? 0) ** 2;
    }
    return s / (Math.sqrt(na * nb) || 1);
  };
  const ref = (i: number, score: number): ThemeItemRef => {
    const item = items[i] as Item;
    return {
      itemId: item.id,
      salonId: item.salonId,
      section: item.section,
      text: item.text,
      score,
    };
  };
  const themes: Theme[] = centroids.map((centroid, c) => {
    const members = clusters.flatMap((cl, i) => (cl === c ? [i] : []));
    const scored = members
      .map((i) => ({ i, score: cos(rows[i] ?? [], centroid) }))
      .sort((a, b) => b.score - a.score);
    const counts = new Map<string, number>();
    for (const i of members)
      counts.set(items[i]?.salonId ?? '', (counts.get(items[i]?.salonId ?? '') ?? 0) + 1);
    const words = new Map<string, number>();
    for (const i of members)
      for (const w of items[i]?.text.toLowerCase().match(/[a-z]{6,}/g) ?? [])
        words.set(w, (words.get(w) ?? 0) + 1);
    const keywords = [...words]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, 5)
      .map(([w]) => w);
    const salonsIn = [...counts].map(([salonId, count]) => ({
      salonId,
      date: dateOf.get(salonId),
      count,
    }));
    const disagreements = scored.filter(({ i }) => items[i]?.section === 'disagreement');
    return {
      id: `t${c + 1}`,
      keywords,
      label: keywords.slice(0, 3).join(' · '),
      size: members.length,
      share: members.length / items.length,
      itemIds: members.map((i) => items[i]?.id ?? ''),
      representatives: scored.slice(0, 3).map(({ i, score }) => ref(i, score)),
      salons: salonsIn,
      contested: disagreements.length / Math.max(members.length, 1),
      disagreements: disagreements.map(({ i, score }) => ref(i, score)),
      questions: scored
        .filter(({ i }) => items[i]?.section === 'question')
        .map(({ i, score }) => ({
          question: ref(i, score),
          relatedInsights: items
            .map((item, j) => ({ item, j, s: cos(rows[i] ?? [], rows[j] ?? []) }))
            .filter(
              ({ item, s }) =>
                item.section === 'insight' &&
                item.salonId !== items[i]?.salonId &&
                s >= embedder.thresholds.relatedInsight,
            )
            .sort((a, b) => b.s - a.s)
            .slice(0, 2)
            .map(({ j, s }) => ref(j, s)),
        })),
    };
  });
  themes.sort((a, b) => b.size - a.size);
  const assignments: Record<string, string> = {};
  for (const t of themes) for (const id of t.itemIds) assignments[id] = t.id;
  return {
    embedderId: embedder.id,
    k,
    kSelection: { mode: 'fixed', curve: [] },
    seed: 42,
    themes,
    unassigned: [],
    assignments,
  };
}
