/**
 * SalonLens: one object over the whole pipeline (parse → embed → index →
 * themes → report), for apps that import salon-lens.
 *
 *   const lens = await SalonLens.openOrCreate('.salon-lens');
 *   await lens.add(['salons/']);
 *   const groups = await lens.similarQuestions();
 *   await lens.report({ outDir: 'report' });
 *   await lens.close();
 */
import {
  type ClusterOptions,
  clusterThemes,
  GuideSchema,
  guideText,
  type ThemeState,
  ThemeStateSchema,
  type ThemesResult,
} from '../cluster/index.js';
import {
  createEmbedder,
  type Embedder,
  type EmbeddingCache,
  runtimeLabel,
  withEmbeddingCache,
} from '../embed/index.js';
import { isSalonLensError, parseOptions, SalonLensError, throwIfAborted } from '../errors.js';
import {
  type AddSalonsOptions,
  type AddSummary,
  createLens,
  type Lens,
  type LensInfo,
  lensExists,
  openLens,
  type RemoveSalonsOptions,
  redact,
  type SearchHit,
  type SearchOptions,
  type SimilarQuestionGroup,
  type SimilarQuestionsOptions,
  type SimilarToOptions,
  type StoredSalonInfo,
  storedEmbedderId,
  type VectorSearchOptions,
  type VerifyReport,
  verifyLens,
} from '../index/index.js';
import {
  assertNoWarnings,
  contentWarnings,
  type Item,
  loadSalons,
  type ParseWarning,
  type Salon,
} from '../parse/index.js';
import {
  buildReportData,
  type ReportData,
  type ReportPaths,
  renderHtml,
  renderJson,
  renderMarkdown,
  writeReport,
} from '../report/index.js';
import { embedderOptionsForId } from './embedder-for-store.js';
import {
  type CreateOptions,
  CreateOptionsSchema,
  isEmbedder,
  type OpenOptions,
  OpenOptionsSchema,
  type ReportOptions,
  ReportOptionsSchema,
} from './options.js';
import { salonsToPrune } from './prune.js';
import { assertKnownSalonIds } from './salon-ids.js';
import { formatOf, type VectorExportFormat, writeVectorExport } from './vector-export.js';
import { rememberSkipped } from './warnings.js';

/** Key under which the last clustering is kept in the store, for stable theme ids. */
const THEME_STATE_KEY = 'themes';

export type ThemesOptions = ClusterOptions & {
  /**
   * Keep the new theme centroids in the store so ids stay stable next time.
   * `true` saves (a read-only lens refuses); `false` never does; `'when-free'` saves
   * only if the write lock is free right now (briefly taking it, also from a read-only
   * lens) and otherwise skips silently, so a reader never waits for or fails on a writer.
   * @default true, or false for a read-only lens
   */
  persist?: boolean | 'when-free';
  /**
   * With `'when-free'`: told why the state was not saved when the store refused the
   * write (a role that may only read), so a caller can say it once.
   */
  onNotSaved?: (reason: string) => void;
};

export interface ReportResult {
  data: ReportData;
  /** Absolute paths of the written files, when `outDir` was given. */
  files: ReportPaths;
  /** The rendered documents, by format. */
  rendered: Partial<Record<'md' | 'html' | 'json', string>>;
}

interface StoreLocation {
  dir: string;
  schema?: string;
}

export class SalonLens {
  readonly #lens: Lens;
  readonly #embedder: Embedder;
  readonly #ownsEmbedder: boolean;
  /** Where the store was opened, as given (a URL keeps its password, unlike `info.dir`). */
  readonly #location: StoreLocation;
  /**
   * What the reading left out of each salon added through this object, for the
   * report's "skipped content" notes (the store itself does not keep parse warnings).
   */
  readonly #skipped = new Map<string, ParseWarning[]>();

  private constructor(
    lens: Lens,
    embedder: Embedder,
    ownsEmbedder: boolean,
    location: StoreLocation,
  ) {
    this.#lens = lens;
    this.#location = location;
    this.#embedder = embedder;
    this.#ownsEmbedder = ownsEmbedder;
  }

  /**
   * Open an existing store (a folder or a `postgres://` URL); the embedder defaults
   * to the one it was built with.
   */
  static async open(dir: string, options: OpenOptions = {}): Promise<SalonLens> {
    const opts = parseOptions(OpenOptionsSchema, options, 'open options');
    const where = opts.schema ? { schema: opts.schema } : {};
    const choice =
      opts.embedder ?? embedderOptionsForId(await storedEmbedderId(dir, where), redact(dir));
    return SalonLens.#withEmbedder(choice, { dir, ...where }, opts.embeddingCache, (embedder) =>
      openLens(dir, {
        embedder,
        readOnly: opts.readOnly,
        ...(opts.ef ? { ef: opts.ef } : {}),
        ...where,
      }),
    );
  }

  /** Create a new, empty store (refuses to replace one unless `force`). */
  static async create(dir: string, options: CreateOptions = {}): Promise<SalonLens> {
    const opts = parseOptions(CreateOptionsSchema, options, 'create options');
    const where = opts.schema ? { schema: opts.schema } : {};
    return SalonLens.#withEmbedder(
      opts.embedder ?? {},
      { dir, ...where },
      opts.embeddingCache,
      (embedder) =>
        createLens(dir, {
          embedder,
          force: opts.force,
          ...(opts.hnsw ? { hnsw: opts.hnsw } : {}),
          ...where,
        }),
    );
  }

  /** Resolve the embedder, open the store with it, and dispose an embedder we made if that fails. */
  static async #withEmbedder(
    choice: Embedder | Parameters<typeof createEmbedder>[0],
    location: StoreLocation,
    cache: EmbeddingCache | undefined,
    openStore: (embedder: Embedder) => Promise<Lens>,
  ): Promise<SalonLens> {
    const resolved = await resolveEmbedder(choice);
    const owned = resolved.owned;
    const embedder = cache ? withEmbeddingCache(resolved.embedder, cache) : resolved.embedder;
    try {
      return new SalonLens(await openStore(embedder), embedder, owned, location);
    } catch (error) {
      if (owned) await embedder.dispose();
      throw error;
    }
  }

  /**
   * Open the store at `dir`, or create it when there is none. With `readOnly` the
   * store must exist (creating one is a write): it is opened read-only, or the call
   * fails with STORE_NOT_FOUND.
   */
  static async openOrCreate(
    dir: string,
    options: CreateOptions & Pick<OpenOptions, 'readOnly'> = {},
  ): Promise<SalonLens> {
    const { embedder, schema, readOnly, embeddingCache, ...createOptions } = options;
    const open = () =>
      SalonLens.open(dir, {
        ...(embedder ? { embedder } : {}),
        ...(schema ? { schema } : {}),
        ...(readOnly ? { readOnly } : {}),
        ...(embeddingCache ? { embeddingCache } : {}),
      });
    if (readOnly) {
      if (options.force) {
        throw new SalonLensError(
          'INVALID_OPTIONS',
          'openOrCreate: readOnly and force cannot go together (force replaces the store).',
        );
      }
      return open();
    }
    if (!options.force && (await lensExists(dir, schema ? { schema } : {}))) return open();
    try {
      return await SalonLens.create(dir, {
        ...createOptions,
        ...(embedder ? { embedder } : {}),
        ...(schema ? { schema } : {}),
        ...(embeddingCache ? { embeddingCache } : {}),
      });
    } catch (error) {
      // Another process created it between our check and our create: use theirs.
      if (!options.force && isSalonLensError(error, 'STORE_EXISTS')) return open();
      throw error;
    }
  }

  /** Check every store file against its checksum without loading the index. */
  static verify(dir: string): Promise<VerifyReport> {
    return verifyLens(dir);
  }

  get info(): LensInfo {
    return this.#lens.manifest;
  }

  get embedder(): Embedder {
    return this.#embedder;
  }

  /**
   * What embeds for this lens: 'use-lite@512 on onnxruntime', 'use-lite@512 on tfjs
   * (slower: install onnxruntime-node …)', or the embedder id alone before its model
   * has loaded (the model loads on the first embed) or when it has no runtime to name.
   */
  get runtime(): string {
    return runtimeLabel(this.#embedder);
  }

  /**
   * Parse and embed new or changed salons; unchanged ones are skipped without embedding.
   * `warnings` in the result lists the content the reading left out.
   */
  async add(
    input: readonly string[] | readonly Salon[],
    options: AddSalonsOptions = {},
  ): Promise<AddSummary> {
    const summary = await this.#lens.addSalons(input, options);
    rememberSkipped(this.#skipped, input, summary.warnings);
    return summary;
  }

  /**
   * Bring the store in line with folders of documents: `add(paths)`, and with `prune`
   * also remove the stored salons whose document under those folders was deleted
   * (never salons indexed from elsewhere, nor documents skipped as invalid).
   */
  async sync(
    paths: readonly string[],
    options: AddSalonsOptions & { prune?: boolean } = {},
  ): Promise<AddSummary & { pruned: Array<{ id: string; source: string }> }> {
    const { prune = false, ...addOptions } = options;
    const { onProgress, signal } = addOptions;
    const loaded = await loadSalons(paths, {
      ...(addOptions.maxBytes ? { maxBytes: addOptions.maxBytes } : {}),
      ...(addOptions.skipInvalid ? { skipInvalid: true } : {}),
      ...(addOptions.headingAliases ? { headingAliases: addOptions.headingAliases } : {}),
      ...(onProgress ? { onProgress } : {}),
    });
    const warnings = contentWarnings(loaded.salons, loaded.warnings);
    if (addOptions.strict) assertNoWarnings(warnings);
    const { maxBytes, skipInvalid, headingAliases, ...rest } = addOptions;
    const summary = await this.add(loaded.salons, rest);
    const gone = prune
      ? salonsToPrune(this.salons(), paths, new Set(loaded.salons.map((s) => s.id)))
      : [];
    const removed = gone.length
      ? await this.removeSalons(
          gone.map((s) => s.id),
          { ...(onProgress ? { onProgress } : {}), ...(signal ? { signal } : {}) },
        )
      : { removedItems: 0 };
    return {
      ...summary,
      skipped: loaded.skipped,
      warnings,
      removedItems: summary.removedItems + removed.removedItems,
      pruned: gone.map((s) => ({ id: s.id, source: s.source })),
    };
  }

  /** Remove salons and their items by id (unknown ids are ignored); saves atomically. */
  removeSalons(
    ids: readonly string[],
    options: RemoveSalonsOptions = {},
  ): Promise<{ removedSalons: number; removedItems: number }> {
    return this.#lens.removeSalons(ids, options);
  }

  /** The stored salons (id, title, date, source path, item count), in salon order. */
  salons(): StoredSalonInfo[] {
    return this.#lens.salons();
  }

  /** An unknown id in `salon` / `excludeSalon` is an INVALID_OPTIONS error listing the closest ids. */
  async search(text: string, options: SearchOptions = {}): Promise<SearchHit[]> {
    assertKnownSalonIds(this.#lens.salons(), options ?? {}, 'search options');
    return this.#lens.search(text, options);
  }

  /** Like `search` in vector mode, for a vector from the store's model (embedded elsewhere). */
  async searchVector(
    vector: ArrayLike<number>,
    options: VectorSearchOptions = {},
  ): Promise<SearchHit[]> {
    assertKnownSalonIds(this.#lens.salons(), options ?? {}, 'searchVector options');
    return this.#lens.searchVector(vector, options);
  }

  async similarQuestions(options: SimilarQuestionsOptions = {}): Promise<SimilarQuestionGroup[]> {
    assertKnownSalonIds(this.#lens.salons(), options ?? {}, 'similarQuestions options');
    return this.#lens.similarQuestions(options);
  }

  similarTo(itemId: string, options: SimilarToOptions = {}): Promise<SearchHit[]> {
    return this.#lens.similarTo(itemId, options);
  }

  /**
   * Cluster every stored item into themes. Theme ids stay stable across calls:
   * the previous centroids are kept in the store (unless read-only or `persist: false`).
   */
  async themes(options: ThemesOptions = {}): Promise<ThemesResult> {
    const { persist = !this.#lens.readOnly, onNotSaved, ...clusterOptions } = options;
    const snapshot = await this.#lens.snapshot();
    if (snapshot.items.length === 0) {
      throw new SalonLensError(
        'INPUT_ERROR',
        `Store ${this.#lens.dir} holds no items yet: add salons first.`,
      );
    }
    const previous = await this.#previousThemeState();
    // Guided themes are embedded here, where the embedder lives; the cluster stage stays pure.
    const guide =
      clusterOptions.guide === undefined
        ? undefined
        : parseOptions(GuideSchema, clusterOptions.guide, 'themes options.guide');
    const guideVectors = guide ? await this.#embedder.embed(guide.map(guideText)) : undefined;
    const { result, state } = clusterThemes(
      {
        salons: snapshot.salons,
        items: snapshot.items,
        vectors: snapshot.vectors,
        embedderId: this.#embedder.id,
        thresholds: this.#embedder.thresholds,
        ...(guideVectors ? { guideVectors } : {}),
      },
      clusterOptions,
      previous,
    );
    throwIfAborted(clusterOptions.signal, 'themes');
    if (persist === 'when-free') await this.#saveWhenFree(THEME_STATE_KEY, state, onNotSaved);
    else if (persist) await this.#lens.writeState(THEME_STATE_KEY, state);
    return result;
  }

  /**
   * Save derived state if no writer holds the store; returns whether it was saved.
   * A read-only lens opens a short-lived writer with the same embedder instance.
   * A busy store or one this user cannot write to is not an error: the state only
   * keeps theme ids stable, and the next run saves it.
   */
  async #saveWhenFree(
    key: string,
    value: unknown,
    onNotSaved?: (reason: string) => void,
  ): Promise<boolean> {
    if (!this.#lens.readOnly) {
      await this.#lens.writeState(key, value);
      return true;
    }
    let writer: SalonLens;
    try {
      const { dir, ...where } = this.#location;
      writer = await SalonLens.open(dir, { embedder: this.#embedder, ...where });
    } catch (error) {
      const errno = (error as NodeJS.ErrnoException).code;
      if (isSalonLensError(error, 'STORE_LOCKED')) return false;
      if (errno === 'EACCES' || errno === 'EPERM' || errno === 'EROFS') return false;
      throw error;
    }
    try {
      await writer.#lens.writeState(key, value);
      return true;
    } catch (error) {
      if (!isSalonLensError(error, 'STORE_PERMISSION_DENIED')) throw error;
      onNotSaved?.(error.message);
      return false;
    } finally {
      await writer.close();
    }
  }

  /** Themes + recurring questions + 2-D map, rendered as Markdown, HTML and/or JSON. */
  async report(options: ReportOptions = {}): Promise<ReportResult> {
    const opts = parseOptions(ReportOptionsSchema, options, 'report options');
    const progress = opts.onProgress;
    progress?.({ stage: 'themes', done: 0, total: 1 });
    const themes = await this.themes({
      ...opts.themes,
      signal: opts.signal,
      ...(progress ? { onProgress: progress } : {}),
    });
    progress?.({ stage: 'themes', done: 1, total: 1 });
    progress?.({ stage: 'similar', done: 0, total: 1 });
    // The stage ends on its own count ("3914/3914 questions"), not on a 1/1 after it.
    let similarEnded = false;
    const recurringQuestions = await this.similarQuestions({
      ...opts.similarQuestions,
      ...(progress
        ? {
            onProgress: (event: { stage: 'similar'; done: number; total: number }) => {
              similarEnded = event.done >= event.total;
              progress(event);
            },
          }
        : {}),
    });
    if (!similarEnded) progress?.({ stage: 'similar', done: 1, total: 1 });
    throwIfAborted(opts.signal, 'report');
    progress?.({ stage: 'render', done: 0, total: 1 });
    const snapshot = await this.#lens.snapshot();
    const data = buildReportData({
      ...(opts.title ? { title: opts.title } : {}),
      salons: this.#storedSalons(snapshot.items),
      items: snapshot.items,
      vectors: snapshot.vectors,
      themes,
      recurringQuestions,
      embedder: { id: this.#embedder.id, dim: this.#embedder.dim },
      builtAt: opts.builtAt ?? new Date(),
    });
    throwIfAborted(opts.signal, 'report');
    const renderers = { md: renderMarkdown, html: renderHtml, json: renderJson } as const;
    const rendered: ReportResult['rendered'] = {};
    for (const format of opts.formats) rendered[format] = renderers[format](data);
    const files = opts.outDir
      ? await writeReport(
          data,
          {
            outDir: opts.outDir,
            formats: opts.formats,
            overwrite: opts.overwrite ?? false,
          },
          rendered,
        )
      : {};
    progress?.({ stage: 'report', done: 1, total: 1 });
    return { data, files, rendered };
  }

  /**
   * Every stored item, in salon then document order, with its vector:
   * `for await (const { item, vector } of lens.items()) …`. Reads one snapshot of the
   * store when iteration starts (later writes are not seen).
   */
  async *items(): AsyncGenerator<{ item: Item; vector: Float32Array }, void, undefined> {
    const snapshot = await this.#lens.snapshot();
    for (let i = 0; i < snapshot.items.length; i++) {
      yield { item: snapshot.items[i] as Item, vector: snapshot.vectors[i] as Float32Array };
    }
  }

  /**
   * Write every stored vector with its item id: `.jsonl` (one JSON line per item) or
   * raw little-endian float32 rows plus `<file>.json` with the ids (see vector-export.ts;
   * `readVectorExport` reads both back).
   */
  async exportVectors(
    file: string,
    options: { format?: VectorExportFormat } = {},
  ): Promise<{ files: string[]; count: number }> {
    const snapshot = await this.#lens.snapshot();
    return writeVectorExport(
      file,
      {
        embedder: this.#embedder.id,
        dim: this.#embedder.dim,
        items: snapshot.items,
        vectors: snapshot.vectors,
      },
      options.format ?? formatOf(file),
    );
  }

  /** Release the store lock and, if this object created it, the embedder. Safe to call twice. */
  async close(): Promise<void> {
    await this.#lens.close();
    if (this.#ownsEmbedder) await this.#embedder.dispose();
  }

  /** `await using lens = await SalonLens.open(dir)` closes it at the end of the block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #previousThemeState(): Promise<ThemeState | undefined> {
    const stored = await this.#lens.readState(THEME_STATE_KEY);
    if (stored === undefined) return undefined;
    const parsed = ThemeStateSchema.safeParse(stored);
    // A state from an older format only costs id stability, never correctness.
    return parsed.success ? parsed.data : undefined;
  }

  /** Full Salon records (as the report expects them) from the store's salons and items. */
  #storedSalons(items: readonly Item[]): Salon[] {
    const bySalon = new Map<string, Item[]>();
    for (const item of items) {
      const list = bySalon.get(item.salonId) ?? [];
      list.push(item);
      bySalon.set(item.salonId, list);
    }
    return this.#lens.salons().map((s) => ({
      id: s.id,
      title: s.title,
      ...(s.date ? { date: s.date } : {}),
      source: s.source,
      items: bySalon.get(s.id) ?? [],
      warnings: this.#skipped.get(s.id) ?? [],
    }));
  }
}

async function resolveEmbedder(
  choice: Embedder | Parameters<typeof createEmbedder>[0],
): Promise<{ embedder: Embedder; owned: boolean }> {
  if (isEmbedder(choice)) return { embedder: choice, owned: false };
  return { embedder: await createEmbedder(choice), owned: true };
}
