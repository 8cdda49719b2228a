/**
 * USE-lite as an ONNX graph, built in memory from the shipped tfjs weights.
 * It computes what the tfjs graph in model.json computes (317 nodes, read
 * node by node), on a dense, padded batch instead of tfjs' sparse input:
 *
 *   ids [B, L] int64 (pads: 0), mask [B, L] float (1 = token, 0 = pad)
 *   x      = emb + (emb + timing)        AddTimingSignal adds the sinusoid to a copy
 *                                        of the embeddings and the layer input adds
 *                                        that copy back to the embeddings (sic)
 *   layer 0 (256-d in, 512-d out): a = LN(x); h = x·Wd + bd  (AdjustResidualInput)
 *          + MHA(a, 4 heads × 64, q scaled by 1/8, keys masked with -1e9)·Wo + bo
 *          h = h + FFN(LN(h))           FFN: relu(·W1 + b1)·W2 + b2, 512→1536→512
 *   layer 1 (512-d): h = h + MHA(LN(h), 4 heads × 128, q scaled by 1/√128)·Wo + bo
 *          h = h + FFN(LN(h))
 *   pooled = Σ_t mask·h / max(Σ_t mask, 1)   (SequenceMask mean over real tokens)
 *   out    = l2_normalize(tanh(pooled·Wt + bt)), norm floored at 1e-12 (squared)
 *
 * Layer norms use epsilon 1e-6 as the graph's constant does. Sequences are
 * clipped to 128 tokens (ClipToMaxLength) by the caller. The tfjs graph runs
 * the residual dense layer and the FFNs only on real tokens and scatters zeros
 * into the pads; here they run on pads too, which changes nothing: a pad is
 * never attended to (its key gets -1e9) and never pooled.
 */
import {
  encodeOnnxModel,
  floatTensor,
  int64Tensor,
  ONNX_FLOAT,
  ONNX_INT64,
  type OnnxNode,
  type OnnxTensor,
  onnxNode,
  valueInfo,
} from './onnx-proto.js';
import type { UseLiteFiles } from './weights.js';

/** tfjs' ClipToMaxLength: tokens from position 128 on are dropped. */
export const USE_LITE_MAX_TOKENS = 128;
export const USE_LITE_OUTPUT_DIM = 512;
const LAYER_NORM_EPSILON = 1e-6;

const K = 'module_apply_default/Encoder_en/KonaTransformer';
const KERNELS = 'module/Encoder_en/KonaTransformer/Encode';
const TS = `${K}/Encode/TransformerStack`;

/** tfjs weight names of one transformer layer. */
function layerWeights(layer: 0 | 1) {
  const enc = `${K}/Encode/Layer_${layer}/TransformerLayer`;
  const concat = 'ConcatPartitions/concat';
  return {
    lnScale: `${enc}/layer_prepostprocess/layer_norm/layer_norm_scale/${concat}`,
    lnBias: `${enc}/layer_prepostprocess/layer_norm/layer_norm_bias/${concat}`,
    qkv: `${KERNELS}/Layer_${layer}/TransformerLayer/MultiheadAttention/qkv_transform_single/kernel/part_0`,
    qkvBias: `${enc}/MultiheadAttention/qkv_transform_single/bias/${concat}`,
    out: `${KERNELS}/Layer_${layer}/TransformerLayer/MultiheadAttention/output_transform_single/kernel/part_0`,
    outBias: `${enc}/MultiheadAttention/output_transform_single/bias/${concat}`,
    ffnLnScale: `${enc}/FFN/layer_prepostprocess/layer_norm/layer_norm_scale/${concat}`,
    ffnLnBias: `${enc}/FFN/layer_prepostprocess/layer_norm/layer_norm_bias/${concat}`,
    conv1: `${TS}/Layer_${layer}/TransformerLayer/FFN/conv1/Tensordot/Reshape_1`,
    conv1Bias: `${enc}/FFN/conv1/bias/${concat}`,
    conv2: `${TS}/Layer_${layer}/TransformerLayer/FFN/conv2/Tensordot/Reshape_1`,
    conv2Bias: `${enc}/FFN/conv2/bias/${concat}`,
    residual: `${enc}/dense/kernel/${concat}`,
    residualBias: `${enc}/dense/bias/${concat}`,
  };
}

const EMBEDDINGS = 'module/Embeddings_en';
const INV_TIMESCALES = `${TS}/Layer_0/AddTimingSignal/TimingSignal/ExpandDims_1`;
const TANH_WEIGHTS = 'module/Encoder_en/hidden_layers/tanh_layer_0/weights';
const TANH_BIAS = 'module/Encoder_en/hidden_layers/tanh_layer_0/bias';

/**
 * sin/cos of position × inverse timescale for every position up to the clip,
 * [128, 256]: the product in float32 as tfjs does, the sine in float64 rounded
 * once (tfjs' float32 sine differs by an ulp at most).
 */
export function timingSignal(invTimescales: Float32Array): Float32Array {
  const half = invTimescales.length;
  const table = new Float32Array(USE_LITE_MAX_TOKENS * half * 2);
  for (let pos = 0; pos < USE_LITE_MAX_TOKENS; pos++) {
    for (let i = 0; i < half; i++) {
      const scaled = Math.fround(pos * (invTimescales[i] as number));
      table[pos * 2 * half + i] = Math.sin(scaled);
      table[pos * 2 * half + half + i] = Math.cos(scaled);
    }
  }
  return table;
}

class GraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxTensor[] = [];
  #count = 0;

  constructor(private readonly files: UseLiteFiles) {}

  /** A tfjs weight as an initializer, reshaped to `dims` (same element order). */
  weight(tfName: string, dims?: number[]): string {
    const { shape, data } = this.files.tensor(tfName);
    const name = `w${this.initializers.length}`;
    const target = dims ?? shape;
    if (target.reduce((a, b) => a * b, 1) !== data.length) {
      throw new Error(`${tfName}: cannot view ${shape.join('×')} as ${target.join('×')}`);
    }
    this.initializers.push(floatTensor(name, target, data));
    return name;
  }

  floats(values: Float32Array, dims: number[]): string {
    const name = `c${this.initializers.length}`;
    this.initializers.push(floatTensor(name, dims, values));
    return name;
  }

  ints(values: number[]): string {
    const name = `c${this.initializers.length}`;
    this.initializers.push(int64Tensor(name, [values.length], values));
    return name;
  }

  op(
    type: string,
    inputs: string[],
    attrs: Record<string, number | number[]> = {},
    outputs = 1,
    floats: string[] = [],
  ): string[] {
    const names = Array.from({ length: outputs }, () => `t${this.#count++}`);
    this.nodes.push(onnxNode(type, inputs, names, attrs, floats));
    return names;
  }

  one(
    type: string,
    inputs: string[],
    attrs: Record<string, number | number[]> = {},
    floats: string[] = [],
  ) {
    return this.op(type, inputs, attrs, 1, floats)[0] as string;
  }

  dense(x: string, kernel: string, bias: string, dims: number[]): string {
    return this.one('Add', [this.one('MatMul', [x, this.weight(kernel, dims)]), this.weight(bias)]);
  }

  layerNorm(x: string, scale: string, bias: string): string {
    return this.one(
      'LayerNormalization',
      [x, this.weight(scale), this.weight(bias)],
      { axis: -1, epsilon: LAYER_NORM_EPSILON },
      ['epsilon'],
    );
  }
}

/** Multi-head self-attention on `x` [B, L, width] with the padding bias [B, 1, 1, L]. */
function attention(
  g: GraphBuilder,
  x: string,
  w: ReturnType<typeof layerWeights>,
  width: number,
  outWidth: number,
  maskBias: string,
): string {
  const heads = 4;
  const depth = width / heads;
  const qkv = g.dense(x, w.qkv, w.qkvBias, [width, 3 * width]);
  const [q, k, v] = g.op('Split', [qkv, g.ints([width, width, width])], { axis: -1 }, 3) as [
    string,
    string,
    string,
  ];
  const splitShape = g.ints([0, 0, heads, depth]);
  const split = (t: string) =>
    g.one('Transpose', [g.one('Reshape', [t, splitShape])], { perm: [0, 2, 1, 3] });
  // tfjs scales q by the constant 1/√depth (0.125 and 0.0883883461356163), not the logits.
  const scale = g.floats(Float32Array.of(depth ** -0.5), []);
  const qs = g.one('Mul', [split(q), scale]);
  const kt = g.one('Transpose', [g.one('Reshape', [k, splitShape])], { perm: [0, 2, 3, 1] });
  const logits = g.one('Add', [g.one('MatMul', [qs, kt]), maskBias]);
  const weights = g.one('Softmax', [logits], { axis: -1 });
  const context = g.one('MatMul', [weights, split(v)]);
  const merged = g.one('Reshape', [
    g.one('Transpose', [context], { perm: [0, 2, 1, 3] }),
    g.ints([0, 0, width]),
  ]);
  return g.dense(merged, w.out, w.outBias, [width, outWidth]);
}

function feedForward(g: GraphBuilder, h: string, w: ReturnType<typeof layerWeights>): string {
  const normed = g.layerNorm(h, w.ffnLnScale, w.ffnLnBias);
  const hidden = g.one('Relu', [g.dense(normed, w.conv1, w.conv1Bias, [512, 1536])]);
  return g.one('Add', [g.dense(hidden, w.conv2, w.conv2Bias, [1536, 512]), h]);
}

/** The serialised ONNX model (opset 17): inputs `ids`, `mask`; output `embeddings` [B, 512]. */
export function buildUseLiteOnnx(files: UseLiteFiles): Uint8Array {
  const g = new GraphBuilder(files);
  const invTimescales = files.tensor(INV_TIMESCALES).data;

  // Embeddings plus the timing signal of positions 0..L-1.
  const emb = g.one('Gather', [g.weight(EMBEDDINGS), 'ids'], { axis: 0 });
  const table = g.floats(timingSignal(invTimescales), [
    USE_LITE_MAX_TOKENS,
    invTimescales.length * 2,
  ]);
  const length = g.one('Gather', [g.one('Shape', ['ids']), g.ints([1])], { axis: 0 });
  const timing = g.one('Slice', [table, g.ints([0]), length, g.ints([0])]);
  const x = g.one('Add', [emb, g.one('Add', [emb, timing])]);

  // Padding bias for attention logits: (1 - mask) × -1e9, shaped [B, 1, 1, L].
  const one = g.floats(Float32Array.of(1), []);
  const minusBig = g.floats(Float32Array.of(-1e9), []);
  const maskBias = g.one('Unsqueeze', [
    g.one('Mul', [g.one('Sub', [one, 'mask']), minusBig]),
    g.ints([1, 2]),
  ]);

  // Layer 0: 256-d input, the residual widened to 512 by a dense layer.
  const w0 = layerWeights(0);
  const residual = g.dense(x, w0.residual, w0.residualBias, [256, 512]);
  const attended0 = attention(g, g.layerNorm(x, w0.lnScale, w0.lnBias), w0, 256, 512, maskBias);
  const h0 = feedForward(g, g.one('Add', [attended0, residual]), w0);

  // Layer 1: 512-d throughout.
  const w1 = layerWeights(1);
  const attended1 = attention(g, g.layerNorm(h0, w1.lnScale, w1.lnBias), w1, 512, 512, maskBias);
  const h1 = feedForward(g, g.one('Add', [attended1, h0]), w1);

  // Mean over real tokens.
  const axis1 = g.ints([1]);
  const mask3 = g.one('Unsqueeze', ['mask', g.ints([2])]);
  const summed = g.one('ReduceSum', [g.one('Mul', [h1, mask3]), axis1], { keepdims: 0 });
  const count = g.one('Max', [g.one('ReduceSum', ['mask', axis1], { keepdims: 1 }), one]);
  const pooled = g.one('Div', [summed, count]);

  // tanh head and l2_normalize (x · rsqrt(max(Σx², 1e-12))).
  const head = g.one('Tanh', [g.dense(pooled, TANH_WEIGHTS, TANH_BIAS, [512, 512])]);
  const squares = g.one('ReduceSum', [g.one('Mul', [head, head]), axis1], { keepdims: 1 });
  const floor = g.floats(Float32Array.of(1e-12), []);
  const norm = g.one('Sqrt', [g.one('Max', [squares, floor])]);
  const out = g.one('Div', [head, norm]);
  g.nodes.push(onnxNode('Identity', [out], ['embeddings']));

  return encodeOnnxModel({
    irVersion: 8,
    producerName: 'salon-lens use-lite',
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'use-lite',
      node: g.nodes,
      initializer: g.initializers,
      input: [
        valueInfo('ids', ONNX_INT64, ['batch', 'length']),
        valueInfo('mask', ONNX_FLOAT, ['batch', 'length']),
      ],
      output: [valueInfo('embeddings', ONNX_FLOAT, ['batch', USE_LITE_OUTPUT_DIM])],
    },
  });
}
