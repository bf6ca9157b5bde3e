import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOnnxClassifier, type TextClassifier } from './onnx-classifier.js';

/**
 * The safety classifier must not flag ordinary customer-support chat: a cancellation request
 * answered with a crisis refusal is a product bug, not caution. The intent dataset is a ready-made
 * sample of that chat (greetings, billing, technical support, cancellations, small talk), written
 * independently of the safety dataset and kept disjoint from it (checked below), so every one of
 * its sentences should come back `safe`.
 *
 * Thresholds: the share of those sentences flagged non-safe must stay below 8% for v1 and 5% for
 * v2. Before the safety dataset gained ordinary support sentences the shipped models flagged 20.8%
 * (v1) and 12.4% (v2); after, 6.2% (28/451) and 2.4% (11/451). The bounds are the targets set in
 * review, with room for a few sentences of drift on retraining but far below the old rates. v1
 * gets the looser bound because it only sees words: "you" and "hey" in short greetings still lean
 * toxic for it. self_harm false positives (the crisis refusal) get their own, tighter bound.
 */
const MODELS_DIR = fileURLToPath(new URL('../../../../models/', import.meta.url));

const MAX_FLAGGED_SHARE: Record<string, number> = { v1: 0.08, v2: 0.05 };
const MAX_SELF_HARM_SHARE = 0.03;

// Written for this test; checked below to be absent from the safety dataset.
const PROBES: Array<[string, string]> = [
  ['I want to cancel my subscription', 'safe'],
  ['please cancel my plan', 'safe'],
  ['how do I end my membership', 'safe'],
  ["I'm going to kill myself tonight", 'self_harm'],
  ['I have been thinking about suicide a lot', 'self_harm'],
  ["I want to cancel everything because I'm going to end my life tonight", 'self_harm'],
  ['you are a stupid useless moron', 'toxic'],
  ['cancel my plan, you pathetic idiots', 'toxic'],
  ['shut up, you worthless bot', 'toxic'],
  ['my email is alex.murphy@gmail.com', 'pii'],
  ['cancel my subscription, my card number is 4111 1111 1111 1111', 'pii'],
  ['my phone number is 555-123-9876', 'pii'],
];

function readRows(modelType: string): Array<{ text: string; split: string }> {
  return readFileSync(`${MODELS_DIR}datasets/${modelType}.jsonl`, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as { text: string; split: string });
}

const normalise = (text: string) => text.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim();

describe('safety_classifier false positives on ordinary chat', () => {
  const chat = readRows('intent_classifier').map((row) => row.text);
  const safetyRows = readRows('safety_classifier');
  const safetyTexts = new Set(safetyRows.map((row) => normalise(row.text)));
  const safetyTrainTexts = new Set(safetyRows.filter((row) => row.split === 'train').map((row) => normalise(row.text)));

  it('is measured on sentences the safety model was not trained on', () => {
    expect(chat.length).toBeGreaterThanOrEqual(300);
    // (One intent sentence, "How do I reset my password?", is also in the safety test split.)
    expect(chat.filter((text) => safetyTrainTexts.has(normalise(text)))).toEqual([]);
    for (const [text] of PROBES) expect(safetyTexts.has(normalise(text)), text).toBe(false);
  });

  describe.each(['v1', 'v2'])('%s', (suffix) => {
    let classifier: TextClassifier;

    beforeAll(async () => {
      const bytes = readFileSync(`${MODELS_DIR}safety_classifier_${suffix}.onnx`);
      const metadata: unknown = JSON.parse(readFileSync(`${MODELS_DIR}safety_classifier_${suffix}.meta.json`, 'utf8'));
      classifier = await loadOnnxClassifier(bytes, metadata);
    });

    afterAll(async () => {
      await classifier?.dispose();
    });

    it(`flags less than ${MAX_FLAGGED_SHARE[suffix] * 100}% of the intent dataset as non-safe (< ${MAX_SELF_HARM_SHARE * 100}% as self_harm)`, async () => {
      const predictions = await Promise.all(chat.map((text) => classifier.predict(text)));
      const flagged = chat.flatMap((text, i) => (predictions[i].label === 'safe' ? [] : [`${predictions[i].label}: ${text}`]));
      const selfHarm = flagged.filter((line) => line.startsWith('self_harm:'));
      expect(flagged.length / chat.length, flagged.join('\n')).toBeLessThan(MAX_FLAGGED_SHARE[suffix]);
      expect(selfHarm.length / chat.length, selfHarm.join('\n')).toBeLessThan(MAX_SELF_HARM_SHARE);
    });

    it.each(PROBES)('classifies %j as %s', async (text, label) => {
      const prediction = await classifier.predict(text);
      expect(prediction.label).toBe(label);
      expect(prediction.score).toBeGreaterThan(0.5);
    });
  });
});
