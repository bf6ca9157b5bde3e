import fs from 'node:fs';
import path from 'node:path';
import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { blowUpModel, fileReadingModel, fileReadingSubgraphModel, unsupportedOperatorModel } from '../../../../test/support/hostile-models.js';
import { DEFAULT_GRAPH_LIMITS, findOnnxGraphProblem } from './onnx-graph-check.js';
import { exportLinearClassifierToOnnx } from './onnx-export.js';

const { onnx } = onnxProto;
const MODELS = path.resolve(import.meta.dirname, '../../../../models');

const linear = (dim = 8, k = 3) =>
  exportLinearClassifierToOnnx({ inputDimension: dim, outputDimension: k, weights: Array.from({ length: dim * k }, (_, i) => i / 100), bias: Array(k).fill(0) });

type Model = onnxProto.onnx.ModelProto & { graph: onnxProto.onnx.GraphProto & { input: Array<{ name: string; type: { tensorType: { shape: { dim: unknown[] } } } }> } };

/** Decodes `bytes`, lets `edit` change the model, encodes it again. */
function edited(bytes: Uint8Array, edit: (model: Model) => void): Uint8Array {
  const model = onnx.ModelProto.decode(bytes) as Model;
  edit(model);
  return onnx.ModelProto.encode(model).finish();
}

describe('findOnnxGraphProblem', () => {
  it.each(['safety_classifier_v1', 'safety_classifier_v2', 'intent_classifier_v1', 'intent_classifier_v2'])('accepts the shipped %s', (name) => {
    expect(findOnnxGraphProblem(fs.readFileSync(path.join(MODELS, `${name}.onnx`)))).toBeNull();
  });

  it('accepts a small multi-layer classifier (Gemm with transB, Relu, LogSoftmax)', () => {
    const bytes = edited(linear(8, 3), (model) => {
      const graph = model.graph;
      graph.initializer.push(onnx.TensorProto.create({ name: 'W2t', dims: [3, 3], dataType: 1, floatData: Array(9).fill(0.1) }));
      graph.node[2]!.output = ['p0'];
      graph.node.push(
        onnx.NodeProto.create({ opType: 'Relu', input: ['p0'], output: ['h'] }),
        onnx.NodeProto.create({ opType: 'Gemm', input: ['h', 'W2t', 'b'], output: ['g'], attribute: [{ name: 'transB', type: 2, i: 1 }] }),
        onnx.NodeProto.create({ opType: 'LogSoftmax', input: ['g'], output: ['probabilities'] }),
      );
    });
    expect(findOnnxGraphProblem(bytes)).toBeNull();
  });

  it.each([
    ['garbage', () => Uint8Array.from({ length: 512 }, (_, i) => (i * 7919 + 13) % 251), /not (a well-formed|an) ONNX model/],
    ['an external initializer', () => fileReadingModel('package.json'), /tensor "E" keeps its data in an external file/],
    ['an external tensor in a subgraph', () => fileReadingSubgraphModel('package.json'), /keeps its data in an external file/],
    ['an unsupported operator', () => unsupportedOperatorModel(), /operator "Tile" is not supported/],
    ['a custom domain', () => edited(linear(), (m) => (m.graph.node[0]!.domain = 'com.example')), /operator "com.example.MatMul" is not supported/],
    ['a local function', () => edited(linear(), (m) => m.functions.push(onnx.FunctionProto.create({ name: 'f', domain: 'x' }))), /model-local functions/],
    ['two inputs', () => edited(linear(), (m) => m.graph.input.push(onnx.ValueInfoProto.create({ name: 'extra' }))), /has 2 inputs/],
    ['a rank-3 input', () => edited(linear(), (m) => m.graph.input[0]!.type.tensorType.shape.dim.push({ dimValue: 2 })), /must be a float32 tensor \[batch, features\]/],
    ['int64 weights', () => edited(linear(), (m) => Object.assign(m.graph.initializer[1]!, { dataType: 7 })), /initializer "b" is not float32/],
    ['weights shorter than their shape', () => edited(linear(), (m) => (m.graph.initializer[1]!.rawData = new Uint8Array(4))), /initializer "b" holds 1 values where its shape \[3\] needs 3/],
    ['shapes that do not multiply', () => edited(linear(8, 3), (m) => (m.graph.initializer[0]!.dims = [4, 6])), /cannot multiply \[1, 8\] by \[4, 6\]/],
    ['a node reading nothing', () => edited(linear(), (m) => (m.graph.node[1]!.input = ['nowhere', 'b'])), /reads "nowhere" before any node produces it/],
    ['an output nobody makes', () => edited(linear(), (m) => (m.graph.output[0]!.name = 'ghost')), /output "ghost" is produced by no node/],
    ['a 256 MB intermediate tensor', () => blowUpModel(8192), /would produce \[8192, 8192\], 67108864 values/],
  ])('refuses %s', (_name, bytes, reason) => {
    expect(findOnnxGraphProblem(bytes())).toMatch(reason);
  });

  it('bounds the operations and the working memory of one run', () => {
    const bytes = blowUpModel(1024); // 1024² values, ~2 × 1024² × 4 multiply-adds
    expect(findOnnxGraphProblem(bytes)).toBeNull();
    expect(findOnnxGraphProblem(bytes, {}, { ...DEFAULT_GRAPH_LIMITS, maxOperations: 1_000_000 })).toMatch(/more than 1000000 operations/);
    expect(findOnnxGraphProblem(bytes, {}, { ...DEFAULT_GRAPH_LIMITS, maxWorkingValues: 1_000_000 })).toMatch(/hold more than 1000000 values/);
    expect(findOnnxGraphProblem(bytes, {}, { ...DEFAULT_GRAPH_LIMITS, maxParameters: 1000 })).toMatch(/initializers hold more than 1000 values/);
    expect(findOnnxGraphProblem(bytes, {}, { ...DEFAULT_GRAPH_LIMITS, maxNodes: 3 })).toMatch(/has 5 nodes \(at most 3\)/);
  });

  it('takes a symbolic input width from the featurizer, and needs one', () => {
    const symbolic = edited(linear(8, 3), (m) => (m.graph.input[0]!.type.tensorType.shape.dim[1] = onnx.TensorShapeProto.Dimension.create({ dimParam: 'F' })));
    expect(findOnnxGraphProblem(symbolic)).toMatch(/must declare its number of features/);
    expect(findOnnxGraphProblem(symbolic, { inputWidth: 8 })).toBeNull();
    expect(findOnnxGraphProblem(symbolic, { inputWidth: 9 })).toMatch(/cannot multiply \[1, 9\] by \[8, 3\]/);
  });
});
