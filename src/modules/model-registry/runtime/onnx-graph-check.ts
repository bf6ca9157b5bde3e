import onnxProto from 'onnx-proto';

// onnx-proto is CommonJS whose exports Node cannot detect statically: only the default import works.
const { onnx } = onnxProto;

type Graph = onnxProto.onnx.IGraphProto;
type Tensor = onnxProto.onnx.ITensorProto;
type SparseTensor = onnxProto.onnx.ISparseTensorProto;
type Node = onnxProto.onnx.INodeProto;
type Int64 = number | { toNumber(): number } | null | undefined;

/**
 * What one inference of an accepted graph may cost, worked out from the graph before any session
 * exists: with only the operators below and every shape known, memory and time of a run are
 * bounded by these figures (at batch size 1, the size of every probe and prediction).
 */
export interface GraphLimits {
  /** Nodes in the graph. */
  maxNodes: number;
  /** Values stored in all initializers together. */
  maxParameters: number;
  /** Values in any one tensor a node produces. */
  maxTensorValues: number;
  /** Values in all tensors the nodes produce together (what a run may hold at once, at most). */
  maxWorkingValues: number;
  /** Multiply-adds (and element operations) of one run. */
  maxOperations: number;
}

export const DEFAULT_GRAPH_LIMITS: Readonly<GraphLimits> = Object.freeze({
  maxNodes: 1000,
  // 64 M float32 = 256 MB: above the default MAX_UPLOAD_BYTES (200 MB), so size is the upload's limit.
  maxParameters: 64 * 1024 * 1024,
  maxTensorValues: 16 * 1024 * 1024,
  maxWorkingValues: 64 * 1024 * 1024,
  // ~0.3 s of one core: the shipped models need 20 k–80 k.
  maxOperations: 300_000_000,
});

/**
 * The operators the runtime serves: linear and small multi-layer classifiers over one float
 * [batch, features] input. None of them creates a shape from data or runs a subgraph, which is what
 * makes every tensor's size known before the graph runs.
 */
export const SUPPORTED_OPERATORS: readonly string[] = Object.freeze([
  'MatMul',
  'Gemm',
  'Add',
  'Sub',
  'Mul',
  'Div',
  'Relu',
  'LeakyRelu',
  'Sigmoid',
  'Tanh',
  'Softmax',
  'LogSoftmax',
  'Identity',
]);

const ELEMENTWISE = new Set(['Add', 'Sub', 'Mul', 'Div']);
const STANDARD_DOMAINS = new Set(['', 'ai.onnx']);
const FLOAT = onnx.TensorProto.DataType.FLOAT;
const EXTERNAL = onnx.TensorProto.DataLocation.EXTERNAL;

export interface GraphExpectations {
  /** The width the featurizer feeds; used when the graph leaves its input width symbolic. */
  inputWidth?: number;
}

/** Why the graph is refused: the message is safe to show to the uploader (it names no server path). */
class GraphProblem extends Error {}

function toNumber(value: Int64): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'number' ? value : value.toNumber();
}

function quote(name: string | null | undefined): string {
  const text = name ?? '';
  return JSON.stringify(text.length > 64 ? `${text.slice(0, 64)}…` : text);
}

function count(shape: readonly number[]): number {
  return shape.reduce((product, dim) => product * dim, 1);
}

function show(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** Every graph in the model: the main one and the subgraphs held in node attributes, at any depth. */
function* graphsOf(graph: Graph): Generator<Graph> {
  yield graph;
  for (const node of graph.node ?? []) {
    for (const attribute of node.attribute ?? []) {
      if (attribute.g) yield* graphsOf(attribute.g);
      for (const sub of attribute.graphs ?? []) yield* graphsOf(sub);
    }
  }
}

function* tensorsOf(graph: Graph): Generator<Tensor> {
  const sparse = function* (tensor: SparseTensor | null | undefined): Generator<Tensor> {
    if (tensor?.values) yield tensor.values;
    if (tensor?.indices) yield tensor.indices;
  };
  yield* graph.initializer ?? [];
  for (const tensor of graph.sparseInitializer ?? []) yield* sparse(tensor);
  for (const node of graph.node ?? []) {
    for (const attribute of node.attribute ?? []) {
      if (attribute.t) yield attribute.t;
      yield* attribute.tensors ?? [];
      yield* sparse(attribute.sparseTensor);
      for (const tensor of attribute.sparseTensors ?? []) yield* sparse(tensor);
    }
  }
}

function intAttribute(node: Node, name: string, fallback: number): number {
  const attribute = node.attribute?.find((candidate) => candidate.name === name);
  return attribute ? toNumber(attribute.i) : fallback;
}

/** numpy broadcasting, as the ONNX elementwise operators define it. */
function broadcast(node: Node, a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const x = a[a.length - rank + i] ?? 1;
    const y = b[b.length - rank + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new GraphProblem(`node ${quote(node.name)} (${node.opType}) cannot combine shapes ${show(a)} and ${show(b)}`);
    out.push(x === 1 ? y : x);
  }
  return out;
}

/** The output shape of a supported node and the operations it costs. */
function inferNode(node: Node, inputs: ReadonlyArray<readonly number[] | null>): { shape: number[]; operations: number } {
  const op = node.opType ?? '';
  const [a, b, c] = inputs;
  const need = (shape: readonly number[] | null | undefined, what: string): readonly number[] => {
    if (!shape) throw new GraphProblem(`node ${quote(node.name)} (${op}) lacks its ${what} input`);
    return shape;
  };
  if (op === 'MatMul' || op === 'Gemm') {
    let left = [...need(a, 'first')];
    let right = [...need(b, 'second')];
    if (left.length !== 2 || right.length !== 2) {
      throw new GraphProblem(`node ${quote(node.name)} (${op}) multiplies ${show(left)} by ${show(right)}: only 2-D matrices are supported`);
    }
    if (op === 'Gemm' && intAttribute(node, 'transA', 0) !== 0) left = [left[1]!, left[0]!];
    if (op === 'Gemm' && intAttribute(node, 'transB', 0) !== 0) right = [right[1]!, right[0]!];
    if (left[1] !== right[0]) throw new GraphProblem(`node ${quote(node.name)} (${op}) cannot multiply ${show(left)} by ${show(right)}`);
    const shape = [left[0]!, right[1]!];
    if (op === 'Gemm' && c) broadcast(node, shape, c);
    return { shape, operations: left[0]! * left[1]! * right[1]! + (op === 'Gemm' ? count(shape) : 0) };
  }
  if (ELEMENTWISE.has(op)) {
    const shape = broadcast(node, need(a, 'first'), need(b, 'second'));
    return { shape, operations: count(shape) };
  }
  // The unary operators keep their input's shape.
  const shape = [...need(a, 'first')];
  return { shape, operations: count(shape) * (op === 'Softmax' || op === 'LogSoftmax' ? 3 : 1) };
}

function checkInitializer(tensor: Tensor, limits: GraphLimits, total: { parameters: number }): number[] {
  const name = quote(tensor.name);
  if (tensor.dataType !== FLOAT) throw new GraphProblem(`initializer ${name} is not float32 (the runtime serves float32 models only)`);
  const shape = (tensor.dims ?? []).map((dim) => toNumber(dim));
  if (shape.some((dim) => !Number.isSafeInteger(dim) || dim < 0)) throw new GraphProblem(`initializer ${name} has an invalid shape`);
  const values = count(shape);
  total.parameters += values;
  if (total.parameters > limits.maxParameters) throw new GraphProblem(`its initializers hold more than ${limits.maxParameters} values`);
  const stored = tensor.rawData && tensor.rawData.length > 0 ? tensor.rawData.length / 4 : (tensor.floatData?.length ?? 0);
  if (stored !== values) throw new GraphProblem(`initializer ${name} holds ${stored} values where its shape ${show(shape)} needs ${values}`);
  return shape;
}

function check(bytes: Uint8Array, expectations: GraphExpectations, limits: GraphLimits): void {
  let model: onnxProto.onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch {
    throw new GraphProblem('it is not an ONNX model (the protobuf does not decode)');
  }
  const graph = model.graph;
  if (!graph) throw new GraphProblem('it is not an ONNX model (it has no graph)');

  // External data first: whatever else is wrong, this is the reason that matters. onnxruntime would
  // read such a tensor from a file relative to the server's working directory.
  const graphs = [...graphsOf(graph)];
  for (const sub of graphs) {
    for (const tensor of tensorsOf(sub)) {
      if (tensor.dataLocation === EXTERNAL || (tensor.externalData?.length ?? 0) > 0) {
        throw new GraphProblem(`tensor ${quote(tensor.name)} keeps its data in an external file: only self-contained models (every weight inside the .onnx file) are accepted`);
      }
    }
  }
  if ((model.functions?.length ?? 0) > 0) throw new GraphProblem('it defines model-local functions, which the runtime does not serve');
  if (graphs.length > 1) throw new GraphProblem('it contains subgraphs (If, Loop or Scan), which the runtime does not serve');
  const nodes = graph.node ?? [];
  if (nodes.length > limits.maxNodes) throw new GraphProblem(`it has ${nodes.length} nodes (at most ${limits.maxNodes})`);
  for (const node of nodes) {
    if (!STANDARD_DOMAINS.has(node.domain ?? '') || !SUPPORTED_OPERATORS.includes(node.opType ?? '')) {
      const name = node.domain ? `${node.domain}.${node.opType}` : (node.opType ?? '');
      throw new GraphProblem(`operator ${quote(name)} is not supported by the runtime (supported: ${SUPPORTED_OPERATORS.join(', ')})`);
    }
  }
  if ((graph.sparseInitializer?.length ?? 0) > 0) throw new GraphProblem('it has sparse initializers, which the runtime does not serve');

  const shapes = new Map<string, number[]>();
  const total = { parameters: 0 };
  for (const tensor of graph.initializer ?? []) shapes.set(tensor.name ?? '', checkInitializer(tensor, limits, total));

  const inputs = (graph.input ?? []).filter((input) => !shapes.has(input.name ?? ''));
  if (inputs.length !== 1) throw new GraphProblem(`it has ${inputs.length} inputs; the runtime feeds exactly one, float32 [batch, features]`);
  const input = inputs[0]!;
  const inputType = input.type?.tensorType;
  const dims = inputType?.shape?.dim ?? [];
  if (!inputType || inputType.elemType !== FLOAT || dims.length !== 2) {
    throw new GraphProblem(`input ${quote(input.name)} must be a float32 tensor [batch, features]`);
  }
  const declaredWidth = toNumber(dims[1]!.dimValue);
  const width = declaredWidth > 0 ? declaredWidth : expectations.inputWidth;
  if (!width || !Number.isSafeInteger(width)) throw new GraphProblem(`input ${quote(input.name)} must declare its number of features`);
  if (width > limits.maxTensorValues) throw new GraphProblem(`input ${quote(input.name)} takes ${width} features (at most ${limits.maxTensorValues})`);
  shapes.set(input.name ?? '', [1, width]);

  let operations = 0;
  let working = width;
  for (const node of nodes) {
    const inputShapes = (node.input ?? []).map((name) => {
      if (name === '') return null; // an omitted optional input
      const shape = shapes.get(name);
      if (!shape) throw new GraphProblem(`node ${quote(node.name)} reads ${quote(name)} before any node produces it`);
      return shape;
    });
    const outputs = node.output ?? [];
    if (outputs.length !== 1) throw new GraphProblem(`node ${quote(node.name)} (${node.opType}) must have exactly one output`);
    const { shape, operations: cost } = inferNode(node, inputShapes);
    const values = count(shape);
    if (values > limits.maxTensorValues) {
      throw new GraphProblem(`node ${quote(node.name)} (${node.opType}) would produce ${show(shape)}, ${values} values (at most ${limits.maxTensorValues} per tensor)`);
    }
    operations += cost;
    working += values;
    if (operations > limits.maxOperations) throw new GraphProblem(`one inference would take more than ${limits.maxOperations} operations`);
    if (working > limits.maxWorkingValues) throw new GraphProblem(`one inference would hold more than ${limits.maxWorkingValues} values`);
    shapes.set(outputs[0]!, shape);
  }
  for (const output of graph.output ?? []) {
    if (!shapes.has(output.name ?? '')) throw new GraphProblem(`output ${quote(output.name)} is produced by no node`);
  }
}

/**
 * Reads an uploaded ONNX graph without running it and says why the runtime must not load it, or
 * null. Refused: tensors (initializers, attributes, subgraphs) whose data lives in an external file,
 * operators outside SUPPORTED_OPERATORS or outside the standard domain, subgraphs and local
 * functions, inputs other than one float32 [batch, features], non-float32 weights, and graphs whose
 * shapes do not fit together or whose one inference would exceed `limits`. Pure: bytes in, verdict
 * out, so it runs wherever bytes become a session (upload, runtime load), whatever stores them.
 */
export function findOnnxGraphProblem(bytes: Uint8Array, expectations: GraphExpectations = {}, limits: GraphLimits = DEFAULT_GRAPH_LIMITS): string | null {
  try {
    check(bytes, expectations, limits);
    return null;
  } catch (error) {
    if (error instanceof GraphProblem) return error.message;
    // A decoded message with fields of unexpected types: not something the runtime should open.
    return 'it is not a well-formed ONNX model';
  }
}
