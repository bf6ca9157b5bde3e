import onnxProto from 'onnx-proto';

// onnx-proto is CommonJS whose exports Node cannot detect statically: only the default import works.
const { onnx } = onnxProto;

export const ONNX_OPSET = 17;
export const DEFAULT_INPUT_NAME = 'features';
export const DEFAULT_OUTPUT_NAME = 'probabilities';

/** A trained linear classifier: probabilities = softmax(features · weights + bias). */
export interface LinearClassifierParameters {
  inputDimension: number;
  outputDimension: number;
  /** Row-major [inputDimension, outputDimension]. */
  weights: ArrayLike<number>;
  /** [outputDimension]. */
  bias: ArrayLike<number>;
}

export interface LinearClassifierExportOptions {
  inputName?: string;
  outputName?: string;
  docString?: string;
  /** Stored as the model's metadata_props (ONNX string map), e.g. labels for other tools. */
  metadataProps?: Record<string, string>;
}

/** Little-endian float32 bytes, as ONNX raw_data requires whatever the host byte order. */
function float32RawData(values: ArrayLike<number>, count: number): Uint8Array {
  const bytes = new Uint8Array(count * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < count; i++) {
    const value = values[i];
    if (!Number.isFinite(value)) throw new Error(`cannot export a non-finite parameter (${value}) at index ${i}`);
    view.setFloat32(i * 4, value, true);
  }
  return bytes;
}

function floatTensorType(dims: Array<number | string>) {
  return onnx.TypeProto.create({
    tensorType: {
      elemType: onnx.TensorProto.DataType.FLOAT,
      shape: {
        dim: dims.map((dim) => (typeof dim === 'number' ? { dimValue: dim } : { dimParam: dim })),
      },
    },
  });
}

/**
 * Serialises a linear classifier as an ONNX model (IR 8, opset 17):
 * `features` float[N, dim] → MatMul(W[dim, k]) → Add(b[k]) → Softmax(axis=-1) → `probabilities` float[N, k].
 * The batch dimension is symbolic so one session serves single texts and batches alike.
 * Output bytes depend only on the inputs (no timestamps), so retraining reproduces files exactly.
 */
export function exportLinearClassifierToOnnx(
  parameters: LinearClassifierParameters,
  options: LinearClassifierExportOptions = {},
): Uint8Array {
  const { inputDimension: dim, outputDimension: k, weights, bias } = parameters;
  if (!Number.isInteger(dim) || dim < 1) throw new Error(`inputDimension must be a positive integer, got ${dim}`);
  if (!Number.isInteger(k) || k < 1) throw new Error(`outputDimension must be a positive integer, got ${k}`);
  if (weights.length !== dim * k) {
    throw new Error(`weights must hold inputDimension × outputDimension = ${dim * k} values, got ${weights.length}`);
  }
  if (bias.length !== k) throw new Error(`bias must hold ${k} values, got ${bias.length}`);
  const inputName = options.inputName ?? DEFAULT_INPUT_NAME;
  const outputName = options.outputName ?? DEFAULT_OUTPUT_NAME;

  const graph = onnx.GraphProto.create({
    name: 'linear_text_classifier',
    initializer: [
      onnx.TensorProto.create({
        name: 'W',
        dims: [dim, k],
        dataType: onnx.TensorProto.DataType.FLOAT,
        rawData: float32RawData(weights, dim * k),
      }),
      onnx.TensorProto.create({
        name: 'b',
        dims: [k],
        dataType: onnx.TensorProto.DataType.FLOAT,
        rawData: float32RawData(bias, k),
      }),
    ],
    node: [
      onnx.NodeProto.create({ name: 'matmul', opType: 'MatMul', input: [inputName, 'W'], output: ['logits_no_bias'] }),
      onnx.NodeProto.create({ name: 'add_bias', opType: 'Add', input: ['logits_no_bias', 'b'], output: ['logits'] }),
      onnx.NodeProto.create({
        name: 'softmax',
        opType: 'Softmax',
        input: ['logits'],
        output: [outputName],
        attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: -1 }],
      }),
    ],
    input: [{ name: inputName, type: floatTensorType(['N', dim]) }],
    output: [{ name: outputName, type: floatTensorType(['N', k]) }],
  });

  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    producerName: 'model-ab',
    producerVersion: '1',
    docString: options.docString ?? '',
    graph,
    metadataProps: Object.entries(options.metadataProps ?? {})
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, value]) => ({ key, value })),
  });
  return onnx.ModelProto.encode(model).finish();
}
