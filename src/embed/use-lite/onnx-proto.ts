/**
 * The few ONNX protobuf messages needed to write a model in memory, declared
 * for protobufjs with their field numbers from onnx.proto (onnx/onnx, proto2),
 * so encoding is protobufjs' job and not hand-written here.
 *
 *   const bytes = encodeOnnxModel({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }], graph });
 */
import protobuf from 'protobufjs';

/** TensorProto.DataType values used by the graph. */
export const ONNX_FLOAT = 1;
export const ONNX_INT64 = 7;

/** AttributeProto.AttributeType values. */
const ATTRIBUTE_FLOAT = 1;
const ATTRIBUTE_INT = 2;
const ATTRIBUTE_INTS = 7;

const field = (id: number, type: string, rule?: 'repeated') => ({
  id,
  type,
  ...(rule ? { rule, options: { packed: false } } : {}),
});

const root = protobuf.Root.fromJSON({
  nested: {
    onnx: {
      nested: {
        ModelProto: {
          fields: {
            irVersion: field(1, 'int64'),
            producerName: field(2, 'string'),
            producerVersion: field(3, 'string'),
            graph: field(7, 'GraphProto'),
            opsetImport: field(8, 'OperatorSetIdProto', 'repeated'),
          },
        },
        OperatorSetIdProto: { fields: { domain: field(1, 'string'), version: field(2, 'int64') } },
        GraphProto: {
          fields: {
            node: field(1, 'NodeProto', 'repeated'),
            name: field(2, 'string'),
            initializer: field(5, 'TensorProto', 'repeated'),
            input: field(11, 'ValueInfoProto', 'repeated'),
            output: field(12, 'ValueInfoProto', 'repeated'),
          },
        },
        NodeProto: {
          fields: {
            input: field(1, 'string', 'repeated'),
            output: field(2, 'string', 'repeated'),
            name: field(3, 'string'),
            opType: field(4, 'string'),
            attribute: field(5, 'AttributeProto', 'repeated'),
          },
        },
        AttributeProto: {
          fields: {
            name: field(1, 'string'),
            f: field(2, 'float'),
            i: field(3, 'int64'),
            ints: field(8, 'int64', 'repeated'),
            type: field(20, 'int32'),
          },
        },
        TensorProto: {
          fields: {
            dims: field(1, 'int64', 'repeated'),
            dataType: field(2, 'int32'),
            name: field(8, 'string'),
            rawData: field(9, 'bytes'),
          },
        },
        ValueInfoProto: { fields: { name: field(1, 'string'), type: field(2, 'TypeProto') } },
        TypeProto: { fields: { tensorType: field(1, 'TypeProtoTensor') } },
        TypeProtoTensor: {
          fields: { elemType: field(1, 'int32'), shape: field(2, 'TensorShapeProto') },
        },
        TensorShapeProto: { fields: { dim: field(1, 'Dimension', 'repeated') } },
        Dimension: { fields: { dimValue: field(1, 'int64'), dimParam: field(2, 'string') } },
      },
    },
  },
});

const ModelProto = root.lookupType('onnx.ModelProto');

export interface OnnxTensor {
  name: string;
  dims: number[];
  dataType: number;
  rawData: Uint8Array;
}

export interface OnnxNode {
  opType: string;
  input: string[];
  output: string[];
  name: string;
  attribute: Record<string, unknown>[];
}

export interface OnnxValueInfo {
  name: string;
  type: { tensorType: { elemType: number; shape: { dim: Record<string, unknown>[] } } };
}

export interface OnnxModel {
  irVersion: number;
  producerName: string;
  opsetImport: { domain: string; version: number }[];
  graph: {
    name: string;
    node: OnnxNode[];
    initializer: OnnxTensor[];
    input: OnnxValueInfo[];
    output: OnnxValueInfo[];
  };
}

export function encodeOnnxModel(model: OnnxModel): Uint8Array {
  // Plain objects in the declared field shapes encode as they are; fromObject would
  // first copy and convert every field, 28 MB of weights included.
  return ModelProto.encode(model as unknown as protobuf.Message).finish();
}

export function floatTensor(name: string, dims: number[], data: Float32Array): OnnxTensor {
  return {
    name,
    dims,
    dataType: ONNX_FLOAT,
    rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  };
}

export function int64Tensor(name: string, dims: number[], values: number[]): OnnxTensor {
  const data = BigInt64Array.from(values, (v) => BigInt(v));
  return { name, dims, dataType: ONNX_INT64, rawData: new Uint8Array(data.buffer) };
}

/** One node; number attributes are INT when integral unless listed in `floats`. */
export function onnxNode(
  opType: string,
  input: string[],
  output: string[],
  attrs: Record<string, number | number[]> = {},
  floats: string[] = [],
): OnnxNode {
  const attribute = Object.entries(attrs).map(([name, value]) =>
    Array.isArray(value)
      ? { name, type: ATTRIBUTE_INTS, ints: value }
      : Number.isInteger(value) && !floats.includes(name)
        ? { name, type: ATTRIBUTE_INT, i: value }
        : { name, type: ATTRIBUTE_FLOAT, f: value },
  );
  return { opType, input, output, name: output[0] as string, attribute };
}

export function valueInfo(
  name: string,
  elemType: number,
  dims: (string | number)[],
): OnnxValueInfo {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: {
          dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })),
        },
      },
    },
  };
}
