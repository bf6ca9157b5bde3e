import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  MODEL_TYPES,
  REPO_ROOT,
  TRAINING_OPTIONS,
  VERSIONS,
  artifactPaths,
  evaluatePredictions,
  parseDataset,
  serializeMetadata,
  toSparseRow,
  trainModelVersion,
  trainSoftmaxRegression,
  type SparseRow,
} from './train-models.js';
import { createFeaturizer } from '../src/modules/model-registry/runtime/featurizer.js';

const [SAFETY, INTENT] = MODEL_TYPES;
const [V1, V2] = VERSIONS;
const safetyBytes = readFileSync(join(REPO_ROOT, 'models', 'datasets', 'safety_classifier.jsonl'));

/** A small stratified slice of the real dataset, so training in a test takes milliseconds. */
function subset(bytes: Buffer, perLabelAndSplit: number): Uint8Array {
  const counts = new Map<string, number>();
  const lines = bytes
    .toString('utf8')
    .split('\n')
    .filter((line) => {
      if (line.trim() === '') return false;
      const { label, split } = JSON.parse(line) as { label: string; split: string };
      const key = `${label}/${split}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
      return (counts.get(key) ?? 0) <= perLabelAndSplit;
    });
  return Buffer.from(lines.join('\n') + '\n');
}

describe('parseDataset', () => {
  const labels = ['a', 'b'];
  it.each([
    ['an unknown label', '{"text":"x","label":"c","split":"train"}', /line 1: unknown label "c"/],
    ['a missing split', '{"text":"x","label":"a"}', /line 1: split must be "train" or "test"/],
    ['an empty text', '{"text":" ","label":"a","split":"test"}', /line 1: text must be a non-empty string/],
    ['a duplicate text', '{"text":"x","label":"a","split":"train"}\n{"text":"x","label":"b","split":"test"}', /line 2: duplicate text "x"/],
  ])('rejects %s', (_name, jsonl, message) => {
    expect(() => parseDataset(jsonl, labels)).toThrow(message);
  });

  it('reads every shipped dataset', () => {
    for (const type of MODEL_TYPES) {
      const rows = parseDataset(readFileSync(join(REPO_ROOT, 'models', 'datasets', `${type.modelType}.jsonl`), 'utf8'), type.labels);
      expect(rows.length).toBeGreaterThanOrEqual(300);
    }
  });
});

describe('evaluatePredictions', () => {
  it('computes accuracy and macro-F1 (hand-checked case)', () => {
    // a: tp 2, fp 1, fn 0 → F1 0.8; b: tp 1, fp 0, fn 1 → F1 2/3; c: never predicted nor expected → 0.
    const result = evaluatePredictions(['a', 'a', 'b', 'b'], ['a', 'a', 'a', 'b'], ['a', 'b', 'c']);
    expect(result.accuracy).toBe(0.75);
    expect(result.macroF1).toBeCloseTo((0.8 + 2 / 3 + 0) / 3, 12);
    expect(result.size).toBe(4);
  });
});

describe('trainSoftmaxRegression', () => {
  const featurizer = createFeaturizer(V1.featurizer);
  const examples = parseDataset(Buffer.from(subset(safetyBytes, 12)).toString('utf8'), SAFETY.labels).filter(
    (example) => example.split === 'train',
  );
  const rows: SparseRow[] = examples.map((example) => toSparseRow(featurizer.featurize(example.text)));
  const targets = examples.map((example) => SAFETY.labels.indexOf(example.label));
  const options = { ...TRAINING_OPTIONS, epochs: 8 };
  const train = (seed: number) => trainSoftmaxRegression(rows, targets, featurizer.dimension, SAFETY.labels.length, { ...options, seed });

  it('gives bit-identical weights for the same seed and different ones for another seed', () => {
    const first = train(7);
    const second = train(7);
    expect(Buffer.compare(Buffer.from(first.weights.buffer), Buffer.from(second.weights.buffer))).toBe(0);
    expect(Buffer.compare(Buffer.from(first.bias.buffer), Buffer.from(second.bias.buffer))).toBe(0);
    expect(Buffer.compare(Buffer.from(first.weights.buffer), Buffer.from(train(8).weights.buffer))).not.toBe(0);
  });

  it('fits its training data', () => {
    const model = train(7);
    const k = SAFETY.labels.length;
    const correct = rows.filter(({ indices, values }, i) => {
      const logits = Array.from(model.bias);
      indices.forEach((index, n) => {
        for (let c = 0; c < k; c++) logits[c] += values[n] * model.weights[index * k + c];
      });
      return logits.indexOf(Math.max(...logits)) === targets[i];
    }).length;
    expect(correct / rows.length).toBeGreaterThan(0.9);
  });
});

describe('trainModelVersion', () => {
  it('produces byte-identical artifacts when run twice (v2 features, small subset)', async () => {
    const dataset = subset(safetyBytes, 10);
    const options = { ...TRAINING_OPTIONS, epochs: 5 };
    const first = await trainModelVersion(SAFETY, V2, dataset, options);
    const second = await trainModelVersion(SAFETY, V2, dataset, options);
    expect(Buffer.compare(Buffer.from(first.onnx), Buffer.from(second.onnx))).toBe(0);
    expect(serializeMetadata(second.metadata)).toBe(serializeMetadata(first.metadata));
    expect(first.metadata.metrics).toMatchObject({ train_size: 40, heldout_size: 40 });
    expect(first.metadata.training).toMatchObject({ seed: TRAINING_OPTIONS.seed, epochs: 5, algorithm: 'multinomial_logistic_regression' });
  });

  // v1 trains in a few hundred milliseconds, so the committed artifacts are checked against a
  // fresh run here; `tsx scripts/train-models.ts --check` does the same for every version.
  it.each([SAFETY, INTENT])('reproduces the committed $modelType v1 artifact exactly', async (type) => {
    const dataset = readFileSync(join(REPO_ROOT, 'models', 'datasets', `${type.modelType}.jsonl`));
    const { onnx, metadata } = await trainModelVersion(type, V1, dataset);
    const paths = artifactPaths(type, V1);
    expect(Buffer.compare(Buffer.from(onnx), readFileSync(paths.onnx))).toBe(0);
    expect(serializeMetadata(metadata)).toBe(readFileSync(paths.metadata, 'utf8'));
  });
});
