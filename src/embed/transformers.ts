/**
 * `transformers` backend: any sentence-embedding ONNX model through
 * `@huggingface/transformers` (feature-extraction pipeline, mean pooling, L2
 * normalisation), run by onnxruntime-node on the CPU. An optional peer
 * dependency, loaded with a dynamic import only when this backend is chosen
 * (BACKEND_NOT_INSTALLED with the npm command when it is missing).
 *
 *   // with network once: downloads to the cache, later runs can be offline
 *   const e = await createTransformersEmbedder({ backend: 'transformers', cacheDir: '.models' });
 *   // without network: point at a folder laid out like a hub repo
 *   const e = await createTransformersEmbedder({ backend: 'transformers', modelDir: './minilm', offline: true });
 *
 * Global state: transformers.js keeps settings in a global `env`. We never write
 * to it; every choice (local folder, cache folder, offline, dtype, threads) is
 * passed per pipeline call, so two embedders with different settings cannot
 * leak into each other or into other code using transformers.js in the process.
 */
import { access, readFile } from 'node:fs/promises';
import path from 'node:path';
import { SalonLensError } from '../errors.js';
import { sha256 } from '../util/hash.js';
import { runBatches } from './batching.js';
import { availableCores, type TransformersEmbedderOptions } from './options.js';
import { disableOnnxRuntimeTelemetry } from './ort-telemetry.js';
import type { EmbedCallOptions, Embedder, EmbedderThresholds } from './types.js';

export const TRANSFORMERS_DEFAULT_MODEL = 'Xenova/all-MiniLM-L6-v2';

/**
 * Not calibrated on the corpus here (the hub is unreachable, so all-MiniLM-L6-v2
 * could not be run): typical all-MiniLM-L6-v2 cosines put paraphrases above ~0.7
 * and topically related sentences around 0.4-0.6. Override with `thresholds`
 * after running bench/embed.ts `--model-dir` on a real model.
 */
export const TRANSFORMERS_THRESHOLDS: EmbedderThresholds = {
  similarQuestion: 0.7,
  relatedInsight: 0.4,
};

/** File-name suffix transformers.js uses for each dtype (`onnx/model<suffix>.onnx`). */
const DTYPE_SUFFIX = {
  fp32: '',
  fp16: '_fp16',
  q8: '_quantized',
  int8: '_int8',
  uint8: '_uint8',
  q4: '_q4',
} as const;

type Dtype = keyof typeof DTYPE_SUFFIX;

/** The files a feature-extraction model folder must hold, relative to the folder. */
export function requiredModelFiles(dtype: Dtype): string[] {
  return [
    'config.json',
    'tokenizer.json',
    'tokenizer_config.json',
    `onnx/model${DTYPE_SUFFIX[dtype]}.onnx`,
  ];
}

async function missingFiles(folder: string, files: string[]): Promise<string[]> {
  const missing: string[] = [];
  for (const file of files) {
    const full = path.join(folder, file);
    if (
      !(await access(full).then(
        () => true,
        () => false,
      ))
    )
      missing.push(full);
  }
  return missing;
}

function notAvailable(
  model: string,
  lookedIn: string,
  files: string[],
  missing: string[],
  hint: string,
  cause?: unknown,
): SalonLensError {
  const looked = files.map((file) => path.join(lookedIn, file));
  const found =
    missing.length === 0
      ? ''
      : missing.length === looked.length
        ? ' None of them exists.'
        : ` Missing: ${missing.join(', ')}.`;
  return new SalonLensError(
    'MODEL_NOT_AVAILABLE',
    `Embedding model "${model}" is not available. Looked for ${looked.join(', ')}.${found} ${hint}`,
    { details: { model, lookedFor: looked, missing }, cause },
  );
}

interface FeatureExtractor {
  (
    texts: string[],
    options: { pooling: 'mean'; normalize: boolean },
  ): Promise<{
    dims: number[];
    data: Float32Array;
  }>;
  dispose(): Promise<void>;
}

/** The version package.json's devDependencies pin (the peer range is ^ this). */
export const TRANSFORMERS_VERSION = '4.3.1';

/**
 * `@huggingface/transformers` is an optional peer dependency: ~175 MB with
 * onnxruntime-web and sharp, needed only by this backend, so a plain install of
 * salon-lens leaves it out and only this import asks for it.
 */
async function importTransformers(): Promise<typeof import('@huggingface/transformers')> {
  disableOnnxRuntimeTelemetry();
  try {
    return await import('@huggingface/transformers');
  } catch (error) {
    throw new SalonLensError(
      'BACKEND_NOT_INSTALLED',
      `The transformers embedder needs the optional package @huggingface/transformers, which could not be loaded (${(error as Error).message.split('\n')[0]}). Install it next to salon-lens: \`npm install @huggingface/transformers@${TRANSFORMERS_VERSION}\``,
      { details: { package: '@huggingface/transformers' }, cause: error },
    );
  }
}

export async function createTransformersEmbedder(
  options: TransformersEmbedderOptions,
  thresholds: EmbedderThresholds = TRANSFORMERS_THRESHOLDS,
): Promise<Embedder> {
  const dtype: Dtype = options.dtype ?? 'q8';
  const files = requiredModelFiles(dtype);
  const threads = options.threads ?? Math.min(2, availableCores());
  const batchSize = options.batchSize ?? 32;
  const transformers = await importTransformers();

  let source: string;
  let id: string;
  let lookedIn: string;
  let hint: string;
  let localOnly: boolean;
  let cacheDir: string | undefined;

  if (options.modelDir !== undefined) {
    // An absolute path is not a valid hub id, so transformers.js reads it as a folder.
    source = path.resolve(options.modelDir);
    lookedIn = source;
    localOnly = true;
    hint = `Put the model files there (for example copy a downloaded hub repo such as ${TRANSFORMERS_DEFAULT_MODEL}), or pass --model-dir pointing at such a folder.`;
    const missing = await missingFiles(source, files);
    if (missing.length > 0) throw notAvailable(source, lookedIn, files, missing, hint);
    // The folder name alone does not pin the weights; a content hash does, so
    // vectors cached or stored for one folder are never reused for another.
    const weights = await readFile(path.join(source, files[3] as string));
    const name = options.model ?? path.basename(source);
    id = `${name}:${dtype}@${sha256(weights).slice(0, 12)}`;
  } else {
    source = options.model ?? TRANSFORMERS_DEFAULT_MODEL;
    id = `${source}:${dtype}`;
    localOnly = options.offline ?? false;
    cacheDir = options.cacheDir === undefined ? undefined : path.resolve(options.cacheDir);
    // Reading env is fine; we never assign to it (see the header).
    const cacheRoot = cacheDir ?? transformers.env.cacheDir ?? '.cache';
    lookedIn = path.join(cacheRoot, source);
    hint = localOnly
      ? `Offline mode never downloads: run once with network (without offline) to fill the cache${cacheDir ? ` at ${cacheDir}` : ''}, or pass --model-dir with a folder holding these files.`
      : `Downloading from the Hugging Face hub failed; check the network, or pass --model-dir with a local copy of the model.`;
    if (localOnly) {
      const missing = await missingFiles(lookedIn, files);
      if (missing.length > 0) throw notAvailable(source, lookedIn, files, missing, hint);
    }
  }

  let extractor: FeatureExtractor;
  try {
    extractor = (await transformers.pipeline('feature-extraction', source, {
      dtype,
      device: 'cpu',
      local_files_only: localOnly,
      ...(cacheDir === undefined ? {} : { cache_dir: cacheDir }),
      session_options: { intraOpNumThreads: threads, interOpNumThreads: 1 },
    })) as unknown as FeatureExtractor;
  } catch (error) {
    throw notAvailable(source, lookedIn, files, [], `${hint} (${(error as Error).message})`, error);
  }

  const what = `${id} embed`;
  const run = async (texts: string[]): Promise<Float32Array[]> => {
    let output: Awaited<ReturnType<FeatureExtractor>>;
    try {
      output = await extractor(texts, { pooling: 'mean', normalize: true });
    } catch (error) {
      throw new SalonLensError('EMBED_FAILED', `${what} failed: ${(error as Error).message}`, {
        cause: error,
      });
    }
    const width = output.dims[output.dims.length - 1] as number;
    return texts.map((_, i) => output.data.subarray(i * width, (i + 1) * width));
  };

  // The pooled width is the model's hidden size; ask the model rather than trust config.json.
  const probe = await run(['dimension probe']);
  const dim = (probe[0] as Float32Array).length;
  let disposed = false;

  return Object.freeze({
    id,
    dim,
    thresholds: Object.freeze({ ...thresholds }),
    async embed(texts: readonly string[], call: EmbedCallOptions = {}): Promise<Float32Array[]> {
      if (disposed) throw new SalonLensError('EMBED_FAILED', `${id} embedder was disposed`);
      return runBatches(texts, { batchSize, concurrency: 1, what, dim, embedBatch: run }, call);
    },
    async dispose(): Promise<void> {
      if (disposed) return;
      disposed = true;
      await extractor.dispose();
    },
  });
}
