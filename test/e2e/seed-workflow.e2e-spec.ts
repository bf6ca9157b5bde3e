/**
 * The seed document's workflow, as one story a platform team would live through:
 * deploy v2.0.0 with the deploy CLI → create a 50/50 test with criteria → start → 300 users chat
 * and run safety checks → GET /ab-tests/{id} shows requests, errors and latency per variant and
 * assignment counts equal to the distinct users per variant → users give feedback → /results
 * compares accuracy per variant → complete with winner b and promote → new requests run v2.0.0
 * outside any test.
 *
 * The registry starts empty (SEED_EXAMPLE_MODELS off): the model types and their v1.0.0 are
 * registered through the API with v1.0.0 in production, so v2.0.0 really arrives through the CLI.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MetricsService } from '../../src/modules/metrics/metrics.service.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

const execFileAsync = promisify(execFile);

const MODEL_TYPES = ['safety_classifier', 'intent_classifier'] as const;
type ModelType = (typeof MODEL_TYPES)[number];
type Variant = 'a' | 'b';
const USERS = 300;

interface Example {
  text: string;
  label: string;
}

/** Held-out sentences of the shipped datasets: realistic input with a known true label. */
function examples(modelType: ModelType): Example[] {
  return fs
    .readFileSync(`models/datasets/${modelType}.jsonl`, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Example & { split: string })
    .filter((e) => e.split === 'test')
    .map(({ text, label }) => ({ text, label }));
}

async function inBatches<T>(items: T[], size: number, run: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(run));
}

interface Served {
  predictionId: string;
  variant: Variant;
  predicted: string;
  truth: string;
}

describe('the seed workflow: deploy, test, measure, feed back, ship', () => {
  let t: TestApp;
  let url: string;
  const tests = {} as Record<ModelType, string>;
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const admin = () => bearer(t.tokens.admin);
  const users = Array.from({ length: USERS }, (_, i) => `seed-user-${String(i).padStart(3, '0')}`);

  // What the users were served, to check the service's numbers against.
  const safetyVariantOf = new Map<string, Variant>();
  const intentVariantOf = new Map<string, Variant>();
  const requests = { safety_classifier: { a: 0, b: 0 }, intent_classifier: { a: 0, b: 0 } };
  const served: Record<ModelType, Served[]> = { safety_classifier: [], intent_classifier: [] };

  beforeAll(async () => {
    t = await createTestApp({ SEED_EXAMPLE_MODELS: 'false' });
    await t.app.listen(0, '127.0.0.1');
    const address = t.app.getHttpServer().address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(async () => {
    await t?.close();
  });

  it('starts from a registry holding each model type with v1.0.0 in production', async () => {
    for (const modelType of MODEL_TYPES) {
      const meta = JSON.parse(fs.readFileSync(`models/${modelType}_v1.meta.json`, 'utf8')) as { labels: string[]; description: string };
      await t.http().post('/api/v1/models').set(admin()).send({ name: modelType, task: 'text-classification', description: meta.description, labels: meta.labels }).expect(201);
      await t
        .http()
        .post(`/api/v1/models/${modelType}/versions`)
        .set(admin())
        .field('version', 'v1.0.0')
        .field('format', 'onnx')
        .field('stage', 'production')
        .field('metadata', JSON.stringify(meta))
        .attach('file', `models/${modelType}_v1.onnx`)
        .expect(201);
    }
    const res = await t.http().post('/api/v1/safety/check').set(bearer(t.tokens.user('early-bird'))).send({ text: 'hello' }).expect(200);
    expect(res.body).toMatchObject({ model_version: 'v1.0.0', variant: null });
  });

  it('deploys v2.0.0 with the deploy CLI', async () => {
    for (const modelType of MODEL_TYPES) {
      const modelPath = `models/${modelType}_v2.onnx`;
      const sha256 = createHash('sha256').update(fs.readFileSync(modelPath)).digest('hex');
      const { stdout } = await execFileAsync(
        'npx',
        ['tsx', 'scripts/deploy-model.ts', '--type', modelType, '--model-path', modelPath, '--version', 'v2.0.0', '--url', url, '--token', t.tokens.admin],
        { timeout: 60_000 },
      );
      expect(stdout).toContain(sha256);
      const version = await t.http().get(`/api/v1/models/${modelType}/versions/v2.0.0`).set(admin()).expect(200);
      expect(version.body).toMatchObject({ version: 'v2.0.0', sha256 });
    }
  });

  it('creates a 50/50 test with criteria for each model type and starts it', async () => {
    for (const modelType of MODEL_TYPES) {
      const created = await t
        .http()
        .post('/api/v1/ab-tests')
        .set(admin())
        .send({
          name: modelType === 'safety_classifier' ? 'Safety Classifier v2 Test' : 'Intent Classifier v2 Test',
          model_type: modelType,
          variant_a: 'v1.0.0',
          variant_b: 'v2.0.0',
          traffic_split: { a: 0.5, b: 0.5 },
          criteria: { min_requests: 100, max_error_rate: 0.01, max_latency_ms: 200, min_improvement: 0.05 },
          metrics: [{ name: 'accuracy', higher_is_better: true }],
        })
        .expect(201);
      expect(created.body).toMatchObject({ status: 'draft', traffic_split: { a: 0.5, b: 0.5 } });
      tests[modelType] = created.body.test_id;
      const started = await t.http().post(`/api/v1/ab-tests/${created.body.test_id}/start`).set(admin()).expect(200);
      expect(started.body.status).toBe('active');
    }
  });

  it(`${USERS} users chat and run safety checks, each on its variant's versions`, async () => {
    const chat = examples('intent_classifier');
    const safety = examples('safety_classifier');
    await inBatches(
      users.map((user, i) => ({ user, message: chat[i % chat.length]!, check: safety[i % safety.length]! })),
      25,
      async ({ user, message, check }) => {
        const token = t.tokens.user(user);
        const sent = await t.http().post('/api/v1/conversations/messages').set(bearer(token)).send({ text: message.text }).expect(201);
        const checked = await t.http().post('/api/v1/safety/check').set(bearer(token)).send({ text: check.text }).expect(200);

        // Safety: same variant on both requests (sticky), and its version.
        const variant = sent.body.safety.variant as Variant;
        expect(sent.body.safety.ab_test_id).toBe(tests.safety_classifier);
        expect(checked.body).toMatchObject({ ab_test_id: tests.safety_classifier, variant });
        expect(checked.body.model_version).toBe(variant === 'a' ? 'v1.0.0' : 'v2.0.0');
        expect(sent.body.model_versions.safety_classifier).toBe(checked.body.model_version);
        safetyVariantOf.set(user, variant);
        requests.safety_classifier[variant] += 2;
        served.safety_classifier.push({ predictionId: checked.body.prediction_id, variant, predicted: checked.body.label, truth: check.label });

        // Intent: only for messages the safety check let through.
        if (sent.body.safety.safe) {
          const intentVariant = sent.body.intent_variant as Variant;
          expect(sent.body.intent_ab_test_id).toBe(tests.intent_classifier);
          expect(sent.body.model_versions.intent_classifier).toBe(intentVariant === 'a' ? 'v1.0.0' : 'v2.0.0');
          intentVariantOf.set(user, intentVariant);
          requests.intent_classifier[intentVariant] += 1;
          served.intent_classifier.push({ predictionId: sent.body.intent_prediction_id, variant: intentVariant, predicted: sent.body.intent, truth: message.label });
        } else {
          expect(sent.body).toMatchObject({ intent: null, intent_prediction_id: null, model_versions: { intent_classifier: null } });
        }
      },
    );
    expect(safetyVariantOf.size).toBe(USERS);
    // Most held-out chat messages are safe; every variant got a fair share of users.
    expect(intentVariantOf.size).toBeGreaterThan(USERS * 0.6);
    for (const variantOf of [safetyVariantOf, intentVariantOf]) {
      const b = [...variantOf.values()].filter((v) => v === 'b').length;
      expect(b / variantOf.size).toBeGreaterThan(0.35);
      expect(b / variantOf.size).toBeLessThan(0.65);
    }
  });

  it('GET /ab-tests/{id} shows requests, errors and latency per variant, and assignments equal to the distinct users per variant', async () => {
    await t.app.get(MetricsService).flushNow();
    for (const [modelType, variantOf] of [
      ['safety_classifier', safetyVariantOf],
      ['intent_classifier', intentVariantOf],
    ] as const) {
      const res = await t.http().get(`/api/v1/ab-tests/${tests[modelType]}`).set(admin()).expect(200);
      const distinct = { a: 0, b: 0 };
      for (const variant of variantOf.values()) distinct[variant]++;
      expect(res.body.assignments).toEqual({ variant_a: distinct.a, variant_b: distinct.b, total: variantOf.size });
      for (const variant of ['a', 'b'] as const) {
        const m = res.body.metrics[`variant_${variant}`];
        expect(m.requests).toBe(requests[modelType][variant]);
        expect(m.errors).toBe(0);
        expect(m.error_rate).toBe(0);
        expect(m.avg_latency).toBeGreaterThan(0);
        expect(m.p50_latency).toBeGreaterThan(0);
        expect(m.p95_latency).toBeGreaterThanOrEqual(m.p50_latency);
        expect(m.p99_latency).toBeGreaterThanOrEqual(m.p95_latency);
      }
      const rows: Array<{ variant: Variant; n: number }> = await t.dataSource.query(
        'SELECT variant, count(DISTINCT user_id)::int AS n FROM ab_test_assignments WHERE ab_test_id = $1 GROUP BY variant ORDER BY variant',
        [tests[modelType]],
      );
      expect(rows).toEqual([
        { variant: 'a', n: distinct.a },
        { variant: 'b', n: distinct.b },
      ]);
    }
  });

  it('users tell which predictions were right; /results compares accuracy per variant', async () => {
    const expected = {} as Record<ModelType, Record<Variant, { n: number; correct: number }>>;
    for (const modelType of MODEL_TYPES) {
      expected[modelType] = { a: { n: 0, correct: 0 }, b: { n: 0, correct: 0 } };
      await inBatches(served[modelType], 25, async (entry) => {
        // The service token gives feedback for everyone (a labelling pipeline would).
        const res = await t.http().post(`/api/v1/predictions/${entry.predictionId}/feedback`).set(bearer(t.tokens.service)).send({ label: entry.truth }).expect(200);
        const correct = entry.predicted === entry.truth;
        expect(res.body).toEqual({ prediction_id: entry.predictionId, correct, recorded_metric: true });
        expected[modelType][entry.variant].n++;
        expected[modelType][entry.variant].correct += correct ? 1 : 0;
      });
    }
    await t.app.get(MetricsService).flushNow();

    for (const modelType of MODEL_TYPES) {
      const res = await t.http().get(`/api/v1/ab-tests/${tests[modelType]}/results`).set(admin()).expect(200);
      const accuracy = res.body.metrics.find((m: { name: string }) => m.name === 'custom:accuracy');
      expect(accuracy).toMatchObject({ kind: 'mean', higher_is_better: true });
      for (const variant of ['a', 'b'] as const) {
        const { n, correct } = expected[modelType][variant];
        expect(accuracy[variant].n).toBe(n);
        expect(accuracy[variant].mean).toBeCloseTo(correct / n, 9);
      }
      expect(accuracy.difference).toBeCloseTo(
        expected[modelType].b.correct / expected[modelType].b.n - expected[modelType].a.correct / expected[modelType].a.n,
        9,
      );
      const variantOf = modelType === 'safety_classifier' ? safetyVariantOf : intentVariantOf;
      const distinctB = [...variantOf.values()].filter((v) => v === 'b').length;
      expect(res.body.sample_ratio.observed).toEqual({ a: variantOf.size - distinctB, b: distinctB });
      expect(res.body.criteria.map((c: { name: string }) => c.name)).toEqual(
        expect.arrayContaining(['min_requests', 'max_error_rate', 'max_latency_ms', 'min_improvement']),
      );
      expect(typeof res.body.recommendation.decision).toBe('string');
    }
  });

  it('completes with winner b and promote: new requests run v2.0.0 outside any test', async () => {
    for (const modelType of MODEL_TYPES) {
      const res = await t.http().post(`/api/v1/ab-tests/${tests[modelType]}/complete`).set(admin()).send({ winner: 'b', promote: true }).expect(200);
      expect(res.body).toMatchObject({ status: 'completed', winner: 'b' });
      const model = await t.http().get(`/api/v1/models/${modelType}`).set(admin()).expect(200);
      expect(JSON.stringify(model.body)).toContain('v2.0.0');
    }
    for (const user of [users[0]!, users[1]!, 'brand-new-user']) {
      const token = t.tokens.user(user);
      const checked = await t.http().post('/api/v1/safety/check').set(bearer(token)).send({ text: 'hello there!' }).expect(200);
      expect(checked.body).toMatchObject({ model_version: 'v2.0.0', variant: null, ab_test_id: null });
      const sent = await t.http().post('/api/v1/conversations/messages').set(bearer(token)).send({ text: 'I was charged twice for my subscription this month' }).expect(201);
      expect(sent.body).toMatchObject({
        safety: { model_version: 'v2.0.0', variant: null, ab_test_id: null },
        intent_variant: null,
        intent_ab_test_id: null,
        model_versions: { safety_classifier: 'v2.0.0', intent_classifier: 'v2.0.0' },
      });
    }
  });
});
