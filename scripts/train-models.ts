/**
 * Trains the shipped example models (`npm run models:train`) from models/datasets/*.jsonl and
 * writes models/<type>_v1|v2.onnx plus their .meta.json. Deterministic: the same datasets give
 * byte-identical files, so the committed artifacts can be checked with `--check` (exit 1 on drift).
 *
 * Model: multinomial logistic regression (softmax, L2) over the declared hashed n-gram features,
 * trained with mini-batch Adam in float64 and exported as float32 ONNX. The held-out metrics are
 * measured by running the exported artifact through onnxruntime, so they describe the shipped file.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mulberry32 } from '../src/modules/metrics/stats/mulberry32.js';
import { createFeaturizer, type FeaturizerConfig } from '../src/modules/model-registry/runtime/featurizer.js';
import { loadOnnxClassifier, type ModelMetadata } from '../src/modules/model-registry/runtime/onnx-classifier.js';
import {
  DEFAULT_INPUT_NAME,
  DEFAULT_OUTPUT_NAME,
  exportLinearClassifierToOnnx,
} from '../src/modules/model-registry/runtime/onnx-export.js';

export interface Example {
  text: string;
  label: string;
  split: 'train' | 'test';
}

export interface TrainingOptions {
  epochs: number;
  batchSize: number;
  learningRate: number;
  l2: number;
  seed: number;
}

export interface SparseRow {
  indices: Int32Array;
  values: Float64Array;
}

export interface LinearModel {
  inputDimension: number;
  outputDimension: number;
  /** Row-major [inputDimension, outputDimension]. */
  weights: Float64Array;
  bias: Float64Array;
}

export interface ModelTypeSpec {
  modelType: string;
  description: string;
  labels: string[];
}

export interface VersionSpec {
  version: string;
  fileSuffix: string;
  description: string;
  featurizer: FeaturizerConfig;
}

export const MODEL_TYPES: ModelTypeSpec[] = [
  {
    modelType: 'safety_classifier',
    description: 'Flags chat messages that are toxic, express self-harm, or contain personal data.',
    labels: ['safe', 'toxic', 'self_harm', 'pii'],
  },
  {
    modelType: 'intent_classifier',
    description: 'Routes chat messages to an intent.',
    labels: ['greeting', 'billing', 'technical_support', 'cancel_subscription', 'other'],
  },
];

export const VERSIONS: VersionSpec[] = [
  {
    version: 'v1.0.0',
    fileSuffix: 'v1',
    description: 'Hashed word unigrams and bigrams, 4096 buckets.',
    featurizer: {
      type: 'hashed_ngrams',
      dimension: 4096,
      lowercase: true,
      word_ngrams: [1, 2],
      char_ngrams: null,
      sublinear_tf: true,
      normalize: 'l2',
      sign_hash: false,
      normalize_digits: false,
    },
  },
  {
    version: 'v2.0.0',
    fileSuffix: 'v2',
    description:
      'Hashed word 1-2grams plus character 3-5grams (robust to typos and punctuation such as @), digits folded, signed hashing, 16384 buckets.',
    featurizer: {
      type: 'hashed_ngrams',
      dimension: 16384,
      lowercase: true,
      word_ngrams: [1, 2],
      char_ngrams: [3, 5],
      sublinear_tf: true,
      normalize: 'l2',
      sign_hash: true,
      normalize_digits: true,
    },
  },
];

// One set of hyperparameters for every model, chosen before looking at held-out results, so
// v1 and v2 differ only in their features.
export const TRAINING_OPTIONS: TrainingOptions = {
  epochs: 40,
  batchSize: 16,
  learningRate: 0.02,
  l2: 1e-4,
  seed: 20240517,
};

export function parseDataset(jsonl: string, labels: readonly string[]): Example[] {
  const known = new Set(labels);
  const examples: Example[] = [];
  const texts = new Set<string>();
  jsonl.split('\n').forEach((line, index) => {
    if (line.trim() === '') return;
    const where = `line ${index + 1}`;
    const row = JSON.parse(line) as Partial<Example>;
    if (typeof row.text !== 'string' || row.text.trim() === '') throw new Error(`${where}: text must be a non-empty string`);
    if (typeof row.label !== 'string' || !known.has(row.label)) throw new Error(`${where}: unknown label ${JSON.stringify(row.label)}`);
    if (row.split !== 'train' && row.split !== 'test') throw new Error(`${where}: split must be "train" or "test"`);
    if (texts.has(row.text)) throw new Error(`${where}: duplicate text ${JSON.stringify(row.text)}`);
    texts.add(row.text);
    examples.push({ text: row.text, label: row.label, split: row.split });
  });
  return examples;
}

export function toSparseRow(dense: Float32Array): SparseRow {
  let count = 0;
  for (let i = 0; i < dense.length; i++) if (dense[i] !== 0) count++;
  const indices = new Int32Array(count);
  const values = new Float64Array(count);
  for (let i = 0, j = 0; i < dense.length; i++) {
    if (dense[i] !== 0) {
      indices[j] = i;
      values[j++] = dense[i];
    }
  }
  return { indices, values };
}

/**
 * Minimises mean cross-entropy + (l2 / 2)·‖W‖² (bias unregularised) with mini-batch Adam.
 * Weights start at zero (the problem is convex), so the seed only drives the batch order.
 */
export function trainSoftmaxRegression(
  rows: readonly SparseRow[],
  targets: readonly number[],
  inputDimension: number,
  outputDimension: number,
  options: TrainingOptions,
): LinearModel {
  if (rows.length !== targets.length || rows.length === 0) throw new Error('need one target per row and at least one row');
  const k = outputDimension;
  const size = inputDimension * k;
  const weights = new Float64Array(size);
  const bias = new Float64Array(k);
  const gradW = new Float64Array(size);
  const gradB = new Float64Array(k);
  const mW = new Float64Array(size);
  const vW = new Float64Array(size);
  const mB = new Float64Array(k);
  const vB = new Float64Array(k);
  const logits = new Float64Array(k);
  const beta1 = 0.9;
  const beta2 = 0.999;
  const epsilon = 1e-8;
  const random = mulberry32(options.seed);
  const order = Array.from(rows, (_, i) => i);
  let step = 0;

  for (let epoch = 0; epoch < options.epochs; epoch++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    for (let start = 0; start < order.length; start += options.batchSize) {
      const batch = order.slice(start, start + options.batchSize);
      gradW.fill(0);
      gradB.fill(0);
      for (const index of batch) {
        const { indices, values } = rows[index];
        for (let c = 0; c < k; c++) logits[c] = bias[c];
        for (let n = 0; n < indices.length; n++) {
          const offset = indices[n] * k;
          for (let c = 0; c < k; c++) logits[c] += values[n] * weights[offset + c];
        }
        let max = -Infinity;
        for (let c = 0; c < k; c++) max = Math.max(max, logits[c]);
        let sum = 0;
        for (let c = 0; c < k; c++) sum += logits[c] = Math.exp(logits[c] - max);
        for (let c = 0; c < k; c++) {
          const g = (logits[c] / sum - (c === targets[index] ? 1 : 0)) / batch.length;
          gradB[c] += g;
          for (let n = 0; n < indices.length; n++) gradW[indices[n] * k + c] += values[n] * g;
        }
      }
      step++;
      const lr = (options.learningRate * Math.sqrt(1 - beta2 ** step)) / (1 - beta1 ** step);
      for (let i = 0; i < size; i++) {
        const g = gradW[i] + options.l2 * weights[i];
        mW[i] = beta1 * mW[i] + (1 - beta1) * g;
        vW[i] = beta2 * vW[i] + (1 - beta2) * g * g;
        weights[i] -= (lr * mW[i]) / (Math.sqrt(vW[i]) + epsilon);
      }
      for (let c = 0; c < k; c++) {
        const g = gradB[c];
        mB[c] = beta1 * mB[c] + (1 - beta1) * g;
        vB[c] = beta2 * vB[c] + (1 - beta2) * g * g;
        bias[c] -= (lr * mB[c]) / (Math.sqrt(vB[c]) + epsilon);
      }
    }
  }
  return { inputDimension, outputDimension, weights, bias };
}

export interface Evaluation {
  accuracy: number;
  macroF1: number;
  size: number;
}

export function evaluatePredictions(expected: readonly string[], predicted: readonly string[], labels: readonly string[]): Evaluation {
  let correct = 0;
  for (let i = 0; i < expected.length; i++) if (expected[i] === predicted[i]) correct++;
  let f1Sum = 0;
  for (const label of labels) {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    for (let i = 0; i < expected.length; i++) {
      if (predicted[i] === label && expected[i] === label) tp++;
      else if (predicted[i] === label) fp++;
      else if (expected[i] === label) fn++;
    }
    f1Sum += tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
  }
  return { accuracy: expected.length === 0 ? 0 : correct / expected.length, macroF1: f1Sum / labels.length, size: expected.length };
}

export interface TrainedArtifact {
  onnx: Uint8Array;
  metadata: ModelMetadata;
}

export async function trainModelVersion(
  type: ModelTypeSpec,
  version: VersionSpec,
  datasetBytes: Uint8Array,
  options: TrainingOptions = TRAINING_OPTIONS,
): Promise<TrainedArtifact> {
  const examples = parseDataset(Buffer.from(datasetBytes).toString('utf8'), type.labels);
  const featurizer = createFeaturizer(version.featurizer);
  const train = examples.filter((example) => example.split === 'train');
  const heldout = examples.filter((example) => example.split === 'test');
  const model = trainSoftmaxRegression(
    train.map((example) => toSparseRow(featurizer.featurize(example.text))),
    train.map((example) => type.labels.indexOf(example.label)),
    featurizer.dimension,
    type.labels.length,
    options,
  );
  const onnx = exportLinearClassifierToOnnx(model, {
    docString: `${type.modelType} ${version.version}: ${version.description}`,
    metadataProps: { labels: JSON.stringify(type.labels), model_type: type.modelType, version: version.version },
  });

  const draft: ModelMetadata = {
    model_type: type.modelType,
    version: version.version,
    task: 'text-classification',
    description: `${type.description} ${version.description}`,
    labels: type.labels,
    featurizer: version.featurizer,
    input_name: DEFAULT_INPUT_NAME,
    output_name: DEFAULT_OUTPUT_NAME,
  };
  const classifier = await loadOnnxClassifier(onnx, draft);
  const predicted: string[] = [];
  try {
    for (const example of heldout) predicted.push((await classifier.predict(example.text)).label);
  } finally {
    await classifier.dispose();
  }
  const evaluation = evaluatePredictions(
    heldout.map((example) => example.label),
    predicted,
    type.labels,
  );
  return {
    onnx,
    metadata: {
      ...draft,
      metrics: {
        heldout_accuracy: evaluation.accuracy,
        heldout_macro_f1: evaluation.macroF1,
        train_size: train.length,
        heldout_size: heldout.length,
      },
      training: {
        algorithm: 'multinomial_logistic_regression',
        optimizer: 'adam',
        epochs: options.epochs,
        batch_size: options.batchSize,
        learning_rate: options.learningRate,
        l2: options.l2,
        seed: options.seed,
        dataset: `models/datasets/${type.modelType}.jsonl`,
        dataset_sha256: createHash('sha256').update(datasetBytes).digest('hex'),
      },
    },
  };
}

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

export function artifactPaths(type: ModelTypeSpec, version: VersionSpec, root = REPO_ROOT): { onnx: string; metadata: string } {
  const base = join(root, 'models', `${type.modelType}_${version.fileSuffix}`);
  return { onnx: `${base}.onnx`, metadata: `${base}.meta.json` };
}

export function serializeMetadata(metadata: ModelMetadata): string {
  return `${JSON.stringify(metadata, null, 2)}\n`;
}

async function main(argv: string[]): Promise<number> {
  const check = argv.includes('--check');
  mkdirSync(join(REPO_ROOT, 'models'), { recursive: true });
  let drift = 0;
  for (const type of MODEL_TYPES) {
    const datasetBytes = readFileSync(join(REPO_ROOT, 'models', 'datasets', `${type.modelType}.jsonl`));
    for (const version of VERSIONS) {
      const started = performance.now();
      const { onnx, metadata } = await trainModelVersion(type, version, datasetBytes);
      const paths = artifactPaths(type, version);
      const json = serializeMetadata(metadata);
      const { heldout_accuracy: accuracy, heldout_macro_f1: f1 } = metadata.metrics!;
      const summary = `${type.modelType} ${version.version}: held-out accuracy ${accuracy.toFixed(4)}, macro-F1 ${f1.toFixed(4)}, ${onnx.byteLength} bytes, ${Math.round(performance.now() - started)} ms`;
      if (check) {
        const same = (path: string, bytes: Uint8Array): boolean => {
          try {
            return Buffer.compare(readFileSync(path), bytes) === 0;
          } catch {
            return false;
          }
        };
        const ok = same(paths.onnx, onnx) && same(paths.metadata, Buffer.from(json));
        if (!ok) drift++;
        console.log(`${ok ? 'ok   ' : 'DRIFT'} ${summary}`);
      } else {
        writeFileSync(paths.onnx, onnx);
        writeFileSync(paths.metadata, json);
        console.log(summary);
      }
    }
  }
  if (drift > 0) console.error(`${drift} artifact(s) differ from a fresh training run: run this script without --check and commit the result`);
  return drift > 0 ? 1 : 0;
}

// Run only as a script, not when the spec imports the training functions; realpath so a
// symlinked checkout still matches.
if (process.argv[1] !== undefined && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url))) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
