/**
 * onnxruntime-node, loaded on demand. It is an *optional* dependency: its
 * install script downloads CUDA provider libraries on Linux x64 and fails
 * without network, and npm then drops the package while the install still
 * succeeds. Callers fall back to the tfjs path (use-lite/tfjs-engine.ts) when
 * it is missing.
 *
 *   const runtime = loadOnnxRuntimeNode(2); // throws BACKEND_NOT_INSTALLED when absent
 *   const session = await runtime.createSession(modelBytes);
 */
import { createRequire } from 'node:module';
import { SalonLensError } from '../../errors.js';
import { disableOnnxRuntimeTelemetry } from '../ort-telemetry.js';

/** The version package.json pins; named in the install hint. */
export const ONNXRUNTIME_NODE_VERSION = '1.30.0';

/** The slice of onnxruntime-common we use. */
interface OrtTensor {
  readonly data: unknown;
  readonly dims: readonly number[];
}
export interface OrtSession {
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}
interface OrtModule {
  Tensor: new (type: string, data: BigInt64Array | Float32Array, dims: number[]) => OrtTensor;
  InferenceSession: { create(model: Uint8Array, options: object): Promise<OrtSession> };
}

export interface OnnxRuntime {
  /** Intra-op threads of every session it creates. */
  threads: number;
  createSession(model: Uint8Array): Promise<OrtSession>;
  int64(data: BigInt64Array, dims: number[]): OrtTensor;
  float32(data: Float32Array, dims: number[]): OrtTensor;
}

export function loadOnnxRuntimeNode(threads: number): OnnxRuntime {
  let ort: OrtModule;
  disableOnnxRuntimeTelemetry();
  try {
    ort = createRequire(import.meta.url)('onnxruntime-node') as OrtModule;
  } catch (error) {
    throw new SalonLensError(
      'BACKEND_NOT_INSTALLED',
      `onnxruntime-node could not be loaded (${(error as Error).message.split('\n')[0]}). Install it with \`npm install onnxruntime-node@${ONNXRUNTIME_NODE_VERSION}\` (offline on Linux x64: \`ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node@${ONNXRUNTIME_NODE_VERSION}\`).`,
      { details: { package: 'onnxruntime-node' }, cause: error },
    );
  }
  const options = {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    // Idle pool threads sleep instead of spinning: on cores shared with other
    // work, spinning burnt CPU and lost throughput (see bench/embed.ts notes).
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  };
  return {
    threads,
    createSession: (model) => ort.InferenceSession.create(model, options),
    int64: (data, dims) => new ort.Tensor('int64', data, dims),
    float32: (data, dims) => new ort.Tensor('float32', data, dims),
  };
}
