import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFeaturizer, type FeaturizerConfig } from './featurizer.js';
import { SESSION_OPTIONS, loadOnnxClassifier, parseModelMetadata, type ModelMetadata, type TextClassifier } from './onnx-classifier.js';
import { exportLinearClassifierToOnnx } from './onnx-export.js';

const DIMENSION = 64;
const LABELS = ['alpha', 'beta', 'gamma'];
const FEATURIZER: FeaturizerConfig = {
  type: 'hashed_ngrams',
  dimension: DIMENSION,
  lowercase: true,
  word_ngrams: [1, 2],
  char_ngrams: [2, 3],
  sublinear_tf: true,
  normalize: 'l2',
  sign_hash: true,
  normalize_digits: false,
};

function buildMetadata(overrides: Partial<ModelMetadata> = {}): ModelMetadata {
  return { labels: [...LABELS], featurizer: FEATURIZER, input_name: 'features', output_name: 'probabilities', ...overrides };
}

// Irregular but reproducible parameters, large enough that different texts get different labels.
const WEIGHTS = Array.from({ length: DIMENSION * LABELS.length }, (_, i) => 3 * Math.sin(i * 12.9898));
const BIAS = [0.25, -0.5, 0.1];
const MODEL_BYTES = exportLinearClassifierToOnnx({
  inputDimension: DIMENSION,
  outputDimension: LABELS.length,
  weights: WEIGHTS,
  bias: BIAS,
});

/** softmax(x·W + b) computed in JS with the float32-rounded parameters the artifact holds. */
function referenceScores(text: string): number[] {
  const x = createFeaturizer(FEATURIZER).featurize(text);
  const logits = BIAS.map((b, c) => {
    let sum = Math.fround(b);
    for (let i = 0; i < DIMENSION; i++) sum += x[i] * Math.fround(WEIGHTS[i * LABELS.length + c]);
    return sum;
  });
  const max = Math.max(...logits);
  const exps = logits.map((logit) => Math.exp(logit - max));
  const total = exps.reduce((a, b) => a + b, 0);
  return exps.map((value) => value / total);
}

describe('parseModelMetadata', () => {
  it('accepts valid metadata, validates the featurizer and keeps extra fields', () => {
    const parsed = parseModelMetadata({
      ...buildMetadata(),
      featurizer: { type: 'hashed_ngrams', dimension: 64, word_ngrams: [1, 1] },
      metrics: { heldout_accuracy: 0.9, heldout_macro_f1: 0.85, train_size: 10, heldout_size: 3 },
      description: 'kept as is',
    });
    expect(parsed.featurizer.normalize).toBe('l2');
    expect(parsed.metrics?.heldout_accuracy).toBe(0.9);
    expect(parsed.description).toBe('kept as is');
  });

  it.each([
    ['a non-object', [], /must be an object/],
    ['no labels', { ...buildMetadata(), labels: undefined }, /labels must be a non-empty array/],
    ['empty labels', buildMetadata({ labels: [] }), /labels must be a non-empty array/],
    ['duplicate labels', buildMetadata({ labels: ['a', 'b', 'a'] }), /unique, "a" appears twice/],
    ['a blank label', buildMetadata({ labels: ['a', ' '] }), /non-empty strings/],
    ['a numeric label', { ...buildMetadata(), labels: ['a', 1] }, /non-empty strings/],
    ['no featurizer', { ...buildMetadata(), featurizer: undefined }, /invalid featurizer: featurizer config must be an object/],
    ['a bad featurizer', { ...buildMetadata(), featurizer: { ...FEATURIZER, dimension: 100 } }, /invalid featurizer: .*power of two/],
    ['no input name', { ...buildMetadata(), input_name: undefined }, /input_name must be a tensor name/],
    ['a bad output name', buildMetadata({ output_name: 'probabilities; drop' }), /output_name must be a tensor name/],
    ['a non-string version', { ...buildMetadata(), version: 2 }, /version must be a string/],
    ['an accuracy above 1', { ...buildMetadata(), metrics: { heldout_accuracy: 91, heldout_macro_f1: 0.9, train_size: 1, heldout_size: 1 } }, /heldout_accuracy must be a number in \[0, 1\]/],
    ['a fractional size', { ...buildMetadata(), metrics: { heldout_accuracy: 0.9, heldout_macro_f1: 0.9, train_size: 1.5, heldout_size: 1 } }, /train_size must be a non-negative integer/],
  ])('rejects %s', (_name, raw, message) => {
    expect(() => parseModelMetadata(raw)).toThrow(message);
  });
});

describe('exportLinearClassifierToOnnx', () => {
  it('produces identical bytes for identical parameters', () => {
    const again = exportLinearClassifierToOnnx({ inputDimension: DIMENSION, outputDimension: 3, weights: WEIGHTS, bias: BIAS });
    expect(Buffer.compare(Buffer.from(again), Buffer.from(MODEL_BYTES))).toBe(0);
  });

  it.each([
    ['weights of the wrong length', { weights: WEIGHTS.slice(1) }, /weights must hold .* = 192 values, got 191/],
    ['bias of the wrong length', { bias: [1, 2] }, /bias must hold 3 values/],
    ['a non-finite weight', { weights: WEIGHTS.map((w, i) => (i === 5 ? Number.NaN : w)) }, /non-finite parameter \(NaN\) at index 5/],
    ['a zero dimension', { inputDimension: 0 }, /inputDimension must be a positive integer/],
  ])('rejects %s', (_name, overrides, message) => {
    expect(() =>
      exportLinearClassifierToOnnx({ inputDimension: DIMENSION, outputDimension: 3, weights: WEIGHTS, bias: BIAS, ...overrides }),
    ).toThrow(message);
  });
});

describe('loadOnnxClassifier', () => {
  let classifier: TextClassifier;

  beforeAll(async () => {
    classifier = await loadOnnxClassifier(MODEL_BYTES, buildMetadata());
  });

  afterAll(async () => {
    await classifier.dispose();
  });

  it.each(['hello world', 'I was charged twice!', 'the app crashes on login', ''])(
    'scores %j like softmax(x·W + b) and picks the best label',
    async (text) => {
      const prediction = await classifier.predict(text);
      const expected = referenceScores(text);
      LABELS.forEach((label, i) => expect(prediction.scores[label]).toBeCloseTo(expected[i], 5));
      const best = expected.indexOf(Math.max(...expected));
      expect(prediction.label).toBe(LABELS[best]);
      expect(prediction.score).toBe(prediction.scores[prediction.label]);
      expect(Object.values(prediction.scores).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    },
  );

  it('gives different texts different labels (the model is not constant)', async () => {
    const texts = ['hello world', 'I was charged twice!', 'the app crashes on login', 'cancel', 'good morning', 'refund please'];
    const labels = new Set(await Promise.all(texts.map(async (text) => (await classifier.predict(text)).label)));
    expect(labels.size).toBeGreaterThan(1);
  });

  it('exposes its labels and validated metadata', () => {
    expect(classifier.labels).toEqual(LABELS);
    expect(classifier.metadata.featurizer).toEqual(FEATURIZER);
  });

  it('keeps a label called __proto__ as a plain score key', async () => {
    const model = await loadOnnxClassifier(MODEL_BYTES, buildMetadata({ labels: ['__proto__', 'constructor', 'x'] }));
    try {
      const { scores } = await model.predict('hi');
      expect(Object.keys(scores)).toEqual(['__proto__', 'constructor', 'x']);
      expect(Object.getPrototypeOf(scores)).toBe(Object.prototype);
    } finally {
      await model.dispose();
    }
  });

  it('rejects predict once disposed, and on a non-string text', async () => {
    const model = await loadOnnxClassifier(MODEL_BYTES, buildMetadata());
    await expect(model.predict(42 as unknown as string)).rejects.toThrow('text must be a string');
    await model.dispose();
    await model.dispose();
    await expect(model.predict('hello')).rejects.toThrow('model has been disposed');
  });

  it('runs single-threaded sessions that score exactly like onnxruntime with its default thread pools', async () => {
    expect(SESSION_OPTIONS).toMatchObject({ intraOpNumThreads: 1, interOpNumThreads: 1 });
    const pooled = await ort.InferenceSession.create(MODEL_BYTES, { graphOptimizationLevel: 'all' });
    try {
      const featurizer = createFeaturizer(FEATURIZER);
      for (const text of ['hello world', 'I was charged twice!', 'the app crashes on login', 'cancel']) {
        const { probabilities } = await pooled.run({ features: new ort.Tensor('float32', featurizer.featurize(text), [1, DIMENSION]) });
        const expected = Object.fromEntries(LABELS.map((label, i) => [label, (probabilities.data as Float32Array)[i]]));
        expect((await classifier.predict(text)).scores).toEqual(expected);
      }
    } finally {
      await pooled.release();
    }
  });

  it('loads a graph with custom tensor names when the metadata declares them', async () => {
    const bytes = exportLinearClassifierToOnnx(
      { inputDimension: DIMENSION, outputDimension: 3, weights: WEIGHTS, bias: BIAS },
      { inputName: 'x', outputName: 'y' },
    );
    const model = await loadOnnxClassifier(bytes, buildMetadata({ input_name: 'x', output_name: 'y' }));
    try {
      expect((await model.predict('hello world')).scores).toEqual((await classifier.predict('hello world')).scores);
    } finally {
      await model.dispose();
    }
  });

  it.each([
    ['empty bytes', () => new Uint8Array(0), buildMetadata(), /ONNX artifact is empty/],
    ['random bytes', () => Uint8Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 251), buildMetadata(), /ONNX artifact could not be loaded/],
    ['a truncated file', () => MODEL_BYTES.slice(0, Math.floor(MODEL_BYTES.length / 2)), buildMetadata(), /ONNX artifact could not be loaded/],
    ['a featurizer of another width', () => MODEL_BYTES, buildMetadata({ featurizer: { ...FEATURIZER, dimension: 128 } }), /takes 64 features but the metadata featurizer produces 128/],
    ['too few labels', () => MODEL_BYTES, buildMetadata({ labels: ['a', 'b'] }), /has 3 classes but the metadata declares 2 labels/],
    ['too many labels', () => MODEL_BYTES, buildMetadata({ labels: ['a', 'b', 'c', 'd'] }), /has 3 classes but the metadata declares 4 labels/],
    ['another input name', () => MODEL_BYTES, buildMetadata({ input_name: 'tokens' }), /inputs \["features"\] do not match metadata input_name "tokens"/],
    ['another output name', () => MODEL_BYTES, buildMetadata({ output_name: 'logits' }), /outputs \["probabilities"\] do not include metadata output_name "logits"/],
    ['invalid metadata', () => MODEL_BYTES, { labels: [] }, /labels must be a non-empty array/],
  ])('rejects %s with a clear error', async (_name, bytes, metadata, message) => {
    await expect(loadOnnxClassifier(bytes(), metadata)).rejects.toThrow(message);
  });
});
