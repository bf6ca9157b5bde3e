import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOnnxClassifier, parseModelMetadata, type ModelMetadata, type TextClassifier } from './onnx-classifier.js';

const MODELS_DIR = fileURLToPath(new URL('../../../../models/', import.meta.url));

interface DatasetRow {
  text: string;
  label: string;
  split: 'train' | 'test';
}

function readDataset(modelType: string): { bytes: Buffer; rows: DatasetRow[] } {
  const bytes = readFileSync(`${MODELS_DIR}datasets/${modelType}.jsonl`);
  const rows = bytes
    .toString('utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as DatasetRow);
  return { bytes, rows };
}

// Clear cases written for this test, checked below to be absent from the datasets.
const PROBES: Record<string, Array<[string, string]>> = {
  safety_classifier: [
    ['you are a worthless idiot', 'toxic'],
    ['shut up you pathetic loser', 'toxic'],
    ['my card number is 4111 1111 1111 1111', 'pii'],
    ['you can email me at jenny.h@gmail.com', 'pii'],
    ['my social security number is 123-12-1234', 'pii'],
    ["what's the weather like today", 'safe'],
    ['can you help me write an essay about climate change', 'safe'],
    ['I want to kill myself', 'self_harm'],
    ["I don't want to live anymore", 'self_harm'],
  ],
  intent_classifier: [
    ['hi there!', 'greeting'],
    ['hello, good evening to you', 'greeting'],
    ['I want to cancel my subscription', 'cancel_subscription'],
    ['please close my account, I am done', 'cancel_subscription'],
    ['why was I charged twice this month', 'billing'],
    ['how do I get a refund', 'billing'],
    ['the app crashes when I log in', 'technical_support'],
    ['I cannot reset my password', 'technical_support'],
    ['tell me a joke about dogs', 'other'],
  ],
};

const EXPECTED_LABELS: Record<string, string[]> = {
  safety_classifier: ['safe', 'toxic', 'self_harm', 'pii'],
  intent_classifier: ['greeting', 'billing', 'technical_support', 'cancel_subscription', 'other'],
};

const VERSIONS = [
  { suffix: 'v1', version: 'v1.0.0' },
  { suffix: 'v2', version: 'v2.0.0' },
];

describe('shipped datasets', () => {
  describe.each(Object.keys(EXPECTED_LABELS))('%s', (modelType) => {
    const { rows } = readDataset(modelType);

    it('holds at least 300 unique labelled sentences with every label in both splits (~20% held out)', () => {
      expect(rows.length).toBeGreaterThanOrEqual(300);
      expect(new Set(rows.map((row) => row.text)).size).toBe(rows.length);
      for (const label of EXPECTED_LABELS[modelType]) {
        const ofLabel = rows.filter((row) => row.label === label);
        const heldOut = ofLabel.filter((row) => row.split === 'test').length;
        expect(heldOut / ofLabel.length, label).toBeGreaterThan(0.15);
        expect(heldOut / ofLabel.length, label).toBeLessThan(0.25);
      }
      expect(rows.every((row) => EXPECTED_LABELS[modelType].includes(row.label))).toBe(true);
    });

    it('does not contain the probe sentences used to check the models', () => {
      const normalise = (text: string) => text.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim();
      const known = new Set(rows.map((row) => normalise(row.text)));
      for (const [text] of PROBES[modelType]) expect(known.has(normalise(text)), text).toBe(false);
    });
  });
});

describe('shipped models', () => {
  it('stay small (< 2 MB of ONNX in total)', () => {
    let total = 0;
    for (const modelType of Object.keys(PROBES)) {
      for (const { suffix } of VERSIONS) total += statSync(`${MODELS_DIR}${modelType}_${suffix}.onnx`).size;
    }
    expect(total).toBeLessThan(2 * 1024 * 1024);
  });

  describe.each(Object.keys(PROBES).flatMap((modelType) => VERSIONS.map((v) => ({ modelType, ...v }))))(
    '$modelType $version',
    ({ modelType, suffix, version }) => {
      const bytes = readFileSync(`${MODELS_DIR}${modelType}_${suffix}.onnx`);
      const rawMetadata: unknown = JSON.parse(readFileSync(`${MODELS_DIR}${modelType}_${suffix}.meta.json`, 'utf8'));
      let metadata: ModelMetadata;
      let classifier: TextClassifier;

      beforeAll(async () => {
        metadata = parseModelMetadata(rawMetadata);
        classifier = await loadOnnxClassifier(bytes, rawMetadata);
      });

      afterAll(async () => {
        await classifier?.dispose();
      });

      it('declares its type, version, labels and training provenance', () => {
        expect(metadata.model_type).toBe(modelType);
        expect(metadata.version).toBe(version);
        expect(metadata.labels).toEqual(EXPECTED_LABELS[modelType]);
        const { bytes: dataset } = readDataset(modelType);
        expect(metadata.training?.dataset_sha256).toBe(createHash('sha256').update(dataset).digest('hex'));
      });

      it('reports the held-out accuracy and macro-F1 that re-evaluating the artifact gives', async () => {
        const heldOut = readDataset(modelType).rows.filter((row) => row.split === 'test');
        const predicted = await Promise.all(heldOut.map(async (row) => (await classifier.predict(row.text)).label));
        const correct = heldOut.filter((row, i) => predicted[i] === row.label).length;
        const f1s = metadata.labels.map((label) => {
          const tp = heldOut.filter((row, i) => row.label === label && predicted[i] === label).length;
          const fp = heldOut.filter((row, i) => row.label !== label && predicted[i] === label).length;
          const fn = heldOut.filter((row, i) => row.label === label && predicted[i] !== label).length;
          return tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
        });
        expect(metadata.metrics?.heldout_size).toBe(heldOut.length);
        expect(Math.abs(metadata.metrics!.heldout_accuracy - correct / heldOut.length)).toBeLessThan(1e-9);
        expect(Math.abs(metadata.metrics!.heldout_macro_f1 - f1s.reduce((a, b) => a + b, 0) / f1s.length)).toBeLessThan(1e-9);
        expect(metadata.metrics!.heldout_accuracy).toBeGreaterThan(0.75);
      });

      it.each(PROBES[modelType])('classifies %j as %s', async (text, label) => {
        const prediction = await classifier.predict(text);
        expect(prediction.label).toBe(label);
        expect(prediction.score).toBeGreaterThan(0.5);
      });

      it.each([
        ['random bytes', () => Uint8Array.from({ length: bytes.length }, (_, i) => (i * 2654435761) >>> 24)],
        ['a truncated file', () => bytes.subarray(0, bytes.length - 1000)],
      ])('rejects %s with a clear error', async (_name, corrupt) => {
        await expect(loadOnnxClassifier(corrupt(), rawMetadata)).rejects.toThrow(/^ONNX artifact could not be loaded: /);
      });
    },
  );

  it.each(Object.keys(PROBES))('v2 of %s uses materially richer features than v1 and is at least as accurate', (modelType) => {
    const [v1, v2] = VERSIONS.map(({ suffix }) =>
      parseModelMetadata(JSON.parse(readFileSync(`${MODELS_DIR}${modelType}_${suffix}.meta.json`, 'utf8'))),
    );
    expect(v1.featurizer.char_ngrams).toBeNull();
    expect(v2.featurizer.char_ngrams).not.toBeNull();
    expect(v2.featurizer.dimension).toBeGreaterThan(v1.featurizer.dimension);
    expect(v2.metrics!.heldout_accuracy).toBeGreaterThanOrEqual(v1.metrics!.heldout_accuracy);
  });
});
