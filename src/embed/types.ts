/**
 * The contract every embedding backend fulfils. Stages downstream (index,
 * cluster) only ever see this interface.
 */

/** Reported once per finished batch; `done` grows monotonically up to `total`. */
export interface EmbedProgress {
  stage: 'embed';
  done: number;
  total: number;
}

export interface EmbedCallOptions {
  onProgress?: (progress: EmbedProgress) => void;
  signal?: AbortSignal;
}

export interface Embedder {
  /** Stable identifier including anything that changes the vectors, e.g. `use-lite@512`. */
  readonly id: string;
  /** Vector dimension. */
  readonly dim: number;
  /**
   * Per-model similarity calibration: cosine scores live on different scales
   * for different models, so thresholds belong to the embedder, not to callers.
   */
  readonly thresholds: EmbedderThresholds;
  /**
   * What runs the model, once it has loaded: 'onnxruntime-node' or 'tfjs-wasm' for the
   * bundled model; undefined before the first embed, or for an embedder with no model
   * runtime to report (see runtimeLabel).
   */
  readonly runtime?: string;
  /** L2-normalised vectors, one per text, in input order. */
  embed(texts: readonly string[], options?: EmbedCallOptions): Promise<Float32Array[]>;
  /** Free native memory / worker threads. Safe to call twice. */
  dispose(): Promise<void>;
}

export interface EmbedderThresholds {
  /** Cosine above which two questions are treated as asking the same thing. */
  similarQuestion: number;
  /** Cosine above which an insight is shown as related to a question. */
  relatedInsight: number;
}
