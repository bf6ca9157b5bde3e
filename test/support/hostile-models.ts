import onnxProto from 'onnx-proto';

// onnx-proto is CommonJS whose exports Node cannot detect statically: only the default import works.
const { onnx } = onnxProto;
const FLOAT = onnx.TensorProto.DataType.FLOAT;

/** The metadata every model built here declares (4 labels, 64 hashed features). */
export const HOSTILE_LABELS = ['safe', 'toxic', 'self_harm', 'pii'];
export const HOSTILE_DIMENSION = 64;
export const hostileMetadata = (): Record<string, unknown> => ({
  labels: HOSTILE_LABELS,
  featurizer: {
    type: 'hashed_ngrams',
    dimension: HOSTILE_DIMENSION,
    lowercase: true,
    word_ngrams: [1, 1],
    char_ngrams: null,
    sublinear_tf: false,
    normalize: 'l2',
    sign_hash: false,
    normalize_digits: false,
  },
  input_name: 'features',
  output_name: 'probabilities',
});

function floatType(dims: Array<number | string>) {
  return { tensorType: { elemType: FLOAT, shape: { dim: dims.map((dim) => (typeof dim === 'number' ? { dimValue: dim } : { dimParam: dim })) } } };
}

function zeros(name: string, dims: number[]) {
  return onnx.TensorProto.create({ name, dims, dataType: FLOAT, rawData: new Uint8Array(dims.reduce((a, b) => a * b, 1) * 4) });
}

/** A float tensor whose bytes ONNX Runtime reads from `location` (relative to its working directory). */
export function externalTensor(name: string, dims: number[], location: string) {
  const length = dims.reduce((a, b) => a * b, 1) * 4;
  return onnx.TensorProto.create({
    name,
    dims,
    dataType: FLOAT,
    dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
    externalData: [
      { key: 'location', value: location },
      { key: 'offset', value: '0' },
      { key: 'length', value: String(length) },
    ],
  });
}

function encode(graph: Record<string, unknown>, opset = 17): Buffer {
  const model = onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ domain: '', version: opset }], producerName: 'hostile', graph: onnx.GraphProto.create(graph) });
  return Buffer.from(onnx.ModelProto.encode(model).finish());
}

const io = {
  input: [{ name: 'features', type: floatType(['N', HOSTILE_DIMENSION]) }],
  output: [{ name: 'probabilities', type: floatType(['N', HOSTILE_LABELS.length]) }],
};

/**
 * probabilities = features · 0 + E, where E (4 floats) is read from `location`: the scores a
 * prediction returns are the first 16 bytes of that file, read as little-endian float32.
 */
export function fileReadingModel(location: string): Buffer {
  const k = HOSTILE_LABELS.length;
  return encode({
    name: 'reads_a_file',
    initializer: [zeros('Z', [HOSTILE_DIMENSION, k]), externalTensor('E', [k], location)],
    node: [
      { name: 'mm', opType: 'MatMul', input: ['features', 'Z'], output: ['zero'] },
      { name: 'add', opType: 'Add', input: ['zero', 'E'], output: ['probabilities'] },
    ],
    ...io,
  });
}

/** The same leak, hidden in the then-branch of an If node (a subgraph attribute), as a Constant. */
export function fileReadingSubgraphModel(location: string): Buffer {
  const k = HOSTILE_LABELS.length;
  const branch = onnx.GraphProto.create({
    name: 'then',
    node: [{ name: 'const', opType: 'Constant', input: [], output: ['leak'], attribute: [{ name: 'value', type: onnx.AttributeProto.AttributeType.TENSOR, t: externalTensor('', [k], location) }] }],
    output: [{ name: 'leak', type: floatType([k]) }],
  });
  const otherwise = onnx.GraphProto.create({
    name: 'else',
    initializer: [zeros('Zk', [k])],
    node: [{ name: 'id', opType: 'Identity', input: ['Zk'], output: ['nothing'] }],
    output: [{ name: 'nothing', type: floatType([k]) }],
  });
  const yes = onnx.TensorProto.create({ name: 'yes', dims: [], dataType: onnx.TensorProto.DataType.BOOL, int32Data: [1] });
  return encode({
    name: 'reads_a_file_in_a_branch',
    initializer: [zeros('Z', [HOSTILE_DIMENSION, k]), yes],
    node: [
      { name: 'mm', opType: 'MatMul', input: ['features', 'Z'], output: ['zero'] },
      {
        name: 'if',
        opType: 'If',
        input: ['yes'],
        output: ['E'],
        attribute: [
          { name: 'then_branch', type: onnx.AttributeProto.AttributeType.GRAPH, g: branch },
          { name: 'else_branch', type: onnx.AttributeProto.AttributeType.GRAPH, g: otherwise },
        ],
      },
      { name: 'add', opType: 'Add', input: ['zero', 'E'], output: ['probabilities'] },
    ],
    ...io,
  });
}

/**
 * A valid classifier that multiplies two small initializers into a `side × side` matrix on every
 * run: a few KB of upload, side² × 4 bytes of memory and side² multiply-adds per inference.
 */
export function blowUpModel(side: number): Buffer {
  const k = HOSTILE_LABELS.length;
  const column = onnx.TensorProto.create({ name: 'C', dims: [side, 1], dataType: FLOAT, rawData: new Uint8Array(side * 4) });
  const row = onnx.TensorProto.create({ name: 'R', dims: [1, side], dataType: FLOAT, rawData: new Uint8Array(side * 4) });
  return encode({
    name: 'blows_up',
    initializer: [zeros('Z', [HOSTILE_DIMENSION, k]), column, row, zeros('P', [side, k]), zeros('O', [1, side])],
    // Only MatMul and Add, the operators of every shipped model.
    node: [
      { name: 'outer', opType: 'MatMul', input: ['C', 'R'], output: ['big'] },
      { name: 'shrink', opType: 'MatMul', input: ['big', 'P'], output: ['bigk'] },
      { name: 'sum', opType: 'MatMul', input: ['O', 'bigk'], output: ['s'] },
      { name: 'mm', opType: 'MatMul', input: ['features', 'Z'], output: ['zero'] },
      { name: 'add', opType: 'Add', input: ['zero', 's'], output: ['probabilities'] },
    ],
    ...io,
  });
}

/** A classifier using an operator the runtime does not serve (Tile). */
export function unsupportedOperatorModel(): Buffer {
  const k = HOSTILE_LABELS.length;
  const repeats = onnx.TensorProto.create({ name: 'reps', dims: [2], dataType: onnx.TensorProto.DataType.INT64, int64Data: [1, 1] });
  return encode({
    name: 'tiles',
    initializer: [zeros('Z', [HOSTILE_DIMENSION, k]), repeats],
    node: [
      { name: 'mm', opType: 'MatMul', input: ['features', 'Z'], output: ['zero'] },
      { name: 'tile', opType: 'Tile', input: ['zero', 'reps'], output: ['probabilities'] },
    ],
    ...io,
  });
}

/** Decodes the first bytes of a file the way `fileReadingModel` exposes them: scores as float32 LE. */
export function scoresToBytes(scores: Record<string, number>): Buffer {
  const bytes = Buffer.alloc(HOSTILE_LABELS.length * 4);
  HOSTILE_LABELS.forEach((label, i) => bytes.writeFloatLE(scores[label]!, i * 4));
  return bytes;
}
