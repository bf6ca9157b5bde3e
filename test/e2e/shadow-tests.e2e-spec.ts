import fs from 'node:fs';
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ShadowRecorder } from '../../src/modules/ab-tests/shadow/shadow-recorder.js';
import type { Comparison } from '../../src/modules/ab-tests/shadow/shadow-deltas.js';
import { MetricsService } from '../../src/modules/metrics/metrics.service.js';
import { ARTIFACT_STORE, type ArtifactStore } from '../../src/modules/model-registry/artifact-store.js';
import { exampleModelsDir } from '../../src/modules/model-registry/example-models.seeder.js';
import { ModelVersionsService } from '../../src/modules/model-registry/model-versions.service.js';
import { ShadowRunner } from '../../src/modules/predictions/shadow-runner.js';
import { bearer } from '../support/ab-test-factory.js';
import { loadOnnxClassifier } from '../../src/modules/model-registry/runtime/onnx-classifier.js';
import { MODELS_DIR } from '../support/model-artifacts.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

interface ShadowSection {
  compared: number;
  dropped: number;
  agreement: { rate: number | null; ci95: [number, number] | null };
  confusion: Record<string, Record<string, number>>;
  latency_ms: { a: Record<string, number | null>; b: Record<string, number | null> };
  errors_b: { n: number; rate: number | null };
}

/** Sentences of the safety dataset (every label), in file order. */
const TEXTS = fs
  .readFileSync(path.join(MODELS_DIR, 'datasets', 'safety_classifier.jsonl'), 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((line) => (JSON.parse(line) as { text: string }).text);

/** Indexes of TEXTS on which the shipped v1 and v2 give different labels (about 2% of them). */
async function disagreeingTexts(): Promise<Set<number>> {
  const load = async (version: string) =>
    loadOnnxClassifier(
      fs.readFileSync(path.join(MODELS_DIR, `safety_classifier_${version}.onnx`)),
      JSON.parse(fs.readFileSync(path.join(MODELS_DIR, `safety_classifier_${version}.meta.json`), 'utf8')),
    );
  const [v1, v2] = [await load('v1'), await load('v2')];
  const found = new Set<number>();
  for (const [i, text] of TEXTS.entries()) if ((await v1.predict(text)).label !== (await v2.predict(text)).label) found.add(i);
  return found;
}

/** Rounds every number to 9 significant digits: sums flushed in several parts differ in the last bits. */
function rounded(value: unknown): unknown {
  if (typeof value === 'number') return Number.isFinite(value) ? Number(value.toPrecision(9)) : value;
  if (Array.isArray(value)) return value.map(rounded);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rounded(v)]));
  return value;
}

/**
 * Shadow tests through the real safety route: a serves every answer, b runs on sampled inputs
 * off the request path, and the results compare them.
 */
describe('shadow tests', () => {
  let t: TestApp;
  const admin = () => bearer(t.tokens.admin);
  const check = (user: string, text: string) => t.http().post('/api/v1/safety/check').set(bearer(t.tokens.service)).send({ text, user_id: user });
  const settle = async (app: TestApp = t) => {
    await app.app.get(ShadowRunner).idle();
    await app.app.get(ShadowRecorder).flushNow();
    await app.app.get(MetricsService).flushNow();
  };
  const createShadow = async (body: Record<string, unknown>) => {
    const res = await t
      .http()
      .post('/api/v1/ab-tests')
      .set(admin())
      .send({ name: 'Shadow of v2', model_type: 'safety_classifier', variant_a: 'v1.0.0', variant_b: 'v2.0.0', mode: 'shadow', ...body });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const id = (res.body as { test_id: string }).test_id;
    await t.http().post(`/api/v1/ab-tests/${id}/start`).set(admin()).expect(200);
    return { id, body: res.body as Record<string, unknown> };
  };
  const results = async (id: string) => (await t.http().get(`/api/v1/ab-tests/${id}/results`).set(admin()).expect(200)).body as Record<string, unknown> & { shadow: ShadowSection };
  const complete = (id: string) => t.http().post(`/api/v1/ab-tests/${id}/complete`).set(admin()).send({ winner: null }).expect(200);

  beforeAll(async () => {
    t = await createTestApp({ SEED_EXAMPLE_MODELS: 'true', METRICS_FLUSH_MS: '100', RATE_LIMIT_WRITES_PER_MINUTE: '0' });
    // v1.0.1: byte for byte the v1.0.0 artifact under another version.
    const modelVersions = t.app.get(ModelVersionsService);
    const store = t.app.get<ArtifactStore>(ARTIFACT_STORE);
    const metadata = JSON.parse(fs.readFileSync(path.join(exampleModelsDir(), 'safety_classifier_v1.meta.json'), 'utf8')) as Record<string, unknown>;
    const artifact = await store.stage(createReadStream(path.join(exampleModelsDir(), 'safety_classifier_v1.onnx')));
    await modelVersions.registerVersion('safety_classifier', { version: 'v1.0.1', format: 'onnx', metadata: { ...metadata, version: 'v1.0.1' }, stage: 'none' }, artifact, 'test');
  });
  afterAll(async () => {
    await t?.close();
  });

  it('identical artifacts: agreement exactly 1, diagonal confusion, ready_for_ab; graduates to a running A/B test in one call', async () => {
    const { id, body } = await createShadow({ variant_b: 'v1.0.1', traffic_split: { a: 0.5, b: 0.5 }, criteria: { min_requests: 60, min_agreement: 0.99 } });
    expect(body).toMatchObject({ mode: 'shadow', shadow_sample_rate: 1, traffic_split: { a: 1, b: 0 } });

    const texts = TEXTS.filter((_, i) => i % 12 === 0).slice(0, 60);
    for (const [i, text] of texts.entries()) {
      const res = await check(`same-${i}`, text).expect(200);
      expect(res.body).toMatchObject({ ab_test_id: id, variant: 'a', model_version: 'v1.0.0' });
    }
    await settle();

    const doc = await results(id);
    expect(doc.shadow.compared).toBe(60);
    expect(doc.shadow.dropped).toBe(0);
    expect(doc.shadow.agreement.rate).toBe(1);
    expect(doc.shadow.agreement.ci95![1]).toBe(1);
    expect(doc.shadow.agreement.ci95![0]).toBeCloseTo(0.939832, 5); // Wilson, 60 of 60 (scipy)
    const labels = Object.keys(doc.shadow.confusion);
    expect(labels.length).toBeGreaterThan(1);
    let sum = 0;
    for (const [labelA, row] of Object.entries(doc.shadow.confusion)) {
      expect(Object.keys(row)).toEqual([labelA]);
      sum += row[labelA]!;
    }
    expect(sum).toBe(60);
    expect(doc.shadow.errors_b).toEqual({ n: 0, rate: 0 });
    expect(doc.shadow.latency_ms.b.p99).toBeGreaterThan(0);
    expect(doc.criteria).toEqual([
      { name: 'min_requests', threshold: 60, observed: { a: 60, b: 60 }, met: true },
      { name: 'min_agreement', threshold: 0.99, observed: 1, met: true },
    ]);
    expect(doc.recommendation).toMatchObject({ decision: 'ready_for_ab' });
    // Nobody was assigned b, nothing was stored for b, and nobody was served it.
    expect(await t.dataSource.query('SELECT count(*)::int AS n FROM ab_test_assignments WHERE ab_test_id = $1', [id])).toEqual([{ n: 0 }]);
    expect(await t.dataSource.query(`SELECT DISTINCT model_version FROM predictions WHERE ab_test_id = $1`, [id])).toEqual([{ model_version: 'v1.0.0' }]);
    const disagreements = await t.http().get(`/api/v1/ab-tests/${id}/disagreements`).set(admin()).expect(200);
    expect(disagreements.body).toEqual({ items: [], total: 0, limit: 50, offset: 0 });

    // One call: the shadow test completes (no winner) and a linked A/B test starts at the given split.
    const graduated = await t.http().post(`/api/v1/ab-tests/${id}/graduate`).set(admin()).send({ traffic_split: { a: 0.9, b: 0.1 } }).expect(201);
    expect(graduated.body).toMatchObject({
      mode: 'ab',
      status: 'active',
      source_test_id: id,
      variant_a: 'v1.0.0',
      variant_b: 'v1.0.1',
      traffic_split: { a: 0.9, b: 0.1 },
      criteria: { min_requests: 60 },
      name: 'Shadow of v2 (A/B)',
    });
    const shadow = await t.http().get(`/api/v1/ab-tests/${id}`).set(admin()).expect(200);
    expect(shadow.body).toMatchObject({ status: 'completed', winner: null });
    expect((shadow.body as { notes: string }).notes).toContain(`Graduated to A/B test ${graduated.body.test_id}`);
    // Its history stays: the frozen results still hold the shadow section.
    expect((await results(id)).shadow.compared).toBe(60);
    await complete(graduated.body.test_id as string);
  });

  describe('v1 against v2 of the safety classifier', () => {
    let id: string;
    let sampled = 0;
    const served: Array<{ latencyMs: number }> = [];
    const recorded: { comparisons: Comparison[]; errors: number; drops: number } = { comparisons: [], errors: 0, drops: 0 };

    beforeAll(async () => {
      ({ id } = await createShadow({ shadow_sample_rate: 0.5, criteria: { min_requests: 20, min_agreement: 0.5 } }));
      // Watch (and pass through) what the classifier reports, to replay it as a remote client would.
      const runner = t.app.get(ShadowRunner);
      const recorder = t.app.get(ShadowRecorder);
      const metrics = t.app.get(MetricsService);
      const submit = vi.spyOn(runner, 'submit');
      const compare = vi.spyOn(recorder, 'recordComparison');
      const error = vi.spyOn(recorder, 'recordError');
      const drop = vi.spyOn(recorder, 'recordDrop');
      const request = vi.spyOn(metrics, 'recordRequest');
      // Ordinary traffic plus every sentence the two versions disagree on, so sampling half of them
      // misses them all with probability 2^-n.
      const disagreeing = await disagreeingTexts();
      expect(disagreeing.size).toBeGreaterThan(5);
      const texts = [...TEXTS.filter((_, i) => disagreeing.has(i)), ...TEXTS.filter((_, i) => i % 5 === 1 && !disagreeing.has(i))].slice(0, 160);
      for (const [i, text] of texts.entries()) {
        const res = await check(`user-${i}`, text).expect(200);
        expect(res.body).toMatchObject({ ab_test_id: id, variant: 'a', model_version: 'v1.0.0' });
      }
      await settle();
      sampled = submit.mock.calls.filter(([job]) => job.testId === id).length;
      for (const [testId, comparison] of compare.mock.calls) if (testId === id) recorded.comparisons.push(comparison);
      recorded.errors = error.mock.calls.filter(([testId]) => testId === id).length;
      recorded.drops = drop.mock.calls.filter(([testId]) => testId === id).length;
      for (const [testId, variant, outcome] of request.mock.calls) {
        expect([testId, variant]).toEqual([id, 'a']);
        served.push({ latencyMs: outcome.latencyMs! });
      }
      vi.restoreAllMocks();
    });

    it('every answer came from a; compared equals the sampled requests; b disagrees somewhere', async () => {
      expect(await t.dataSource.query(`SELECT DISTINCT model_version, variant FROM predictions WHERE ab_test_id = $1`, [id])).toEqual([{ model_version: 'v1.0.0', variant: 'a' }]);
      const doc = await results(id);
      expect(sampled).toBeGreaterThan(40);
      expect(sampled).toBeLessThan(120);
      expect(doc.shadow.compared + doc.shadow.dropped + doc.shadow.errors_b.n).toBe(sampled);
      expect(doc.shadow.dropped).toBe(0);
      expect(doc.shadow.compared).toBe(recorded.comparisons.length);
      expect(doc.shadow.agreement.rate).toBeLessThan(1);
      expect(doc.shadow.agreement.rate).toBeGreaterThan(0.5);
      const total = Object.values(doc.shadow.confusion).flatMap((row) => Object.values(row)).reduce((a, b) => a + b, 0);
      expect(total).toBe(doc.shadow.compared);
      const [lo, hi] = doc.shadow.agreement.ci95!;
      expect(lo).toBeLessThan(doc.shadow.agreement.rate!);
      expect(hi).toBeGreaterThan(doc.shadow.agreement.rate!);
      // The served metrics are a's alone.
      const detail = await t.http().get(`/api/v1/ab-tests/${id}`).set(admin()).expect(200);
      expect(detail.body.metrics.variant_a.requests).toBe(160);
      expect(detail.body.metrics.variant_b.requests).toBe(0);
      expect(doc.recommendation).toMatchObject({ decision: 'ready_for_ab' });
    });

    it('lists the disagreements newest first with labels, scores, versions and a redacted, truncated input', async () => {
      const res = await t.http().get(`/api/v1/ab-tests/${id}/disagreements`).query({ limit: 200 }).set(admin()).expect(200);
      const disagreeing = recorded.comparisons.filter((c) => c.labelA !== c.labelB);
      expect(res.body.total).toBe(disagreeing.length);
      expect(res.body.items.length).toBe(disagreeing.length);
      const newest = disagreeing.at(-1)!;
      expect(res.body.items[0]).toMatchObject({ label_a: newest.labelA, label_b: newest.labelB, model_version_a: 'v1.0.0', model_version_b: 'v2.0.0' });
      for (const item of res.body.items as Array<{ label_a: string; label_b: string; input: string; score_a: number }>) {
        expect(item.label_a).not.toBe(item.label_b);
        expect(item.score_a).toBeGreaterThan(0);
        expect(item.input.length).toBeLessThanOrEqual(200);
        if (item.label_a === 'pii' || item.label_b === 'pii') expect(item.input).toBe('[redacted: a model flagged personal data]');
        expect(item.input).not.toMatch(/\d{5,}/);
      }
      const ids = (res.body.items as Array<{ id: string }>).map((item) => Number(item.id));
      expect([...ids].sort((x, y) => y - x)).toEqual(ids);
    });

    it('remote comparison events give the same results document as the in-process ones', async () => {
      const inProcess = await results(id);
      await complete(id);
      const { id: remote } = await createShadow({ shadow_sample_rate: 0.5, criteria: { min_requests: 20, min_agreement: 0.5 } });
      const events = [
        ...served.map(({ latencyMs }) => ({ variant: 'a', latency_ms: latencyMs, error: false })),
        ...recorded.comparisons.map((c) => ({
          type: 'comparison',
          label_a: c.labelA,
          label_b: c.labelB,
          latency_ms_a: c.latencyMsA,
          latency_ms_b: c.latencyMsB,
          score_a: c.scoreA,
          score_b: c.scoreB,
          input: c.input,
        })),
        ...Array.from({ length: recorded.errors }, () => ({ type: 'comparison', label_a: 'safe', latency_ms_a: 1, error_b: true })),
      ];
      const res = await t.http().post(`/api/v1/ab-tests/${remote}/metrics`).set(bearer(t.tokens.service)).send({ events }).expect(200);
      expect(res.body).toEqual({ accepted: events.length, requests: served.length, custom: 0, comparisons: recorded.comparisons.length + recorded.errors });
      const remoteDoc = await results(remote);
      const strip = ({ test_id: _id, computed_at: _at, status: _status, ...rest }: Record<string, unknown>) => rounded(rest);
      expect(strip(remoteDoc)).toEqual(strip(inProcess));
      const disagreements = await t.http().get(`/api/v1/ab-tests/${remote}/disagreements`).query({ limit: 1 }).set(admin()).expect(200);
      expect(disagreements.body.total).toBe(recorded.comparisons.filter((c) => c.labelA !== c.labelB).length);
      await complete(remote);
    });
  });

  it('comparison events are validated like the other events and accepted by shadow tests only; disagreements keep the latest 1,000', async () => {
    const { id } = await createShadow({});
    const post = (testId: string, events: unknown[]) => t.http().post(`/api/v1/ab-tests/${testId}/metrics`).set(bearer(t.tokens.service)).send({ events });
    for (const [event, message] of [
      [{ type: 'comparison', label_b: 'safe', latency_ms_a: 1, latency_ms_b: 1 }, /events\[0\]: label_a/],
      [{ type: 'comparison', label_a: 'safe', latency_ms_a: 1 }, /events\[0\]: label_b/],
      [{ type: 'comparison', label_a: 'safe', label_b: 'safe', latency_ms_a: -1, latency_ms_b: 1 }, /latency_ms_a/],
      [{ type: 'comparison', label_a: 'safe', label_b: 'safe', latency_ms_a: 1, latency_ms_b: 1, variant: 'a' }, /unknown field "variant"/],
      [{ type: 'comparsion', label_a: 'safe' }, /type must be "comparison"/],
    ] as const) {
      const res = await post(id, [event]).expect(400);
      expect(res.body).toMatchObject({ code: 'METRIC_EVENT_INVALID' });
      expect(res.body.message).toMatch(message);
    }
    const many = Array.from({ length: 1005 }, (_, i) => ({
      type: 'comparison',
      label_a: 'safe',
      label_b: 'toxic',
      latency_ms_a: 1,
      latency_ms_b: 2,
      input: `message ${i} from jane@example.com, call 555-123-4567`,
    }));
    await post(id, many).expect(200);
    const page = await t.http().get(`/api/v1/ab-tests/${id}/disagreements`).query({ limit: 2 }).set(admin()).expect(200);
    expect(page.body.total).toBe(1000);
    expect(page.body.items.map((item: { input: string }) => item.input)).toEqual(['message 1004 from [email] call [number]', 'message 1003 from [email] call [number]']);
    expect((await t.dataSource.query('SELECT count(*)::int AS n FROM shadow_disagreements WHERE ab_test_id = $1', [id]))[0].n).toBe(1000);
    await complete(id);

    const ab = await t.http().post('/api/v1/ab-tests').set(admin()).send({ name: 'ab', model_type: 'safety_classifier', variant_a: 'v1.0.0', variant_b: 'v2.0.0', traffic_split: { a: 0.5, b: 0.5 } }).expect(201);
    await t.http().post(`/api/v1/ab-tests/${ab.body.test_id}/start`).set(admin()).expect(200);
    const refused = await post(ab.body.test_id, [{ type: 'comparison', label_a: 'safe', label_b: 'safe', latency_ms_a: 1, latency_ms_b: 1 }]).expect(409);
    expect(refused.body).toMatchObject({ code: 'NOT_A_SHADOW_TEST' });
    await t.http().get(`/api/v1/ab-tests/${ab.body.test_id}/disagreements`).set(admin()).expect(409);
    await t.http().post(`/api/v1/ab-tests/${ab.body.test_id}/graduate`).set(admin()).send({ traffic_split: { a: 0.5, b: 0.5 } }).expect(409);
    await complete(ab.body.test_id);
  });

  it.each([
    ['shadow_sample_rate 0', { mode: 'shadow', shadow_sample_rate: 0 }, 'VALIDATION_FAILED'],
    ['shadow_sample_rate above 1', { mode: 'shadow', shadow_sample_rate: 1.5 }, 'VALIDATION_FAILED'],
    ['an unknown mode', { mode: 'canary', traffic_split: { a: 0.5, b: 0.5 } }, 'VALIDATION_FAILED'],
    ['a shadow test with a rollout', { mode: 'shadow', rollout: { steps: [0.1] } }, 'INVALID_TEST_MODE'],
    ['shadow_sample_rate on an A/B test', { traffic_split: { a: 0.5, b: 0.5 }, shadow_sample_rate: 0.5 }, 'INVALID_TEST_MODE'],
    ['min_agreement on an A/B test', { traffic_split: { a: 0.5, b: 0.5 }, criteria: { min_agreement: 0.9 } }, 'INVALID_TEST_MODE'],
    ['min_agreement above 1', { mode: 'shadow', criteria: { min_agreement: 1.1 } }, 'VALIDATION_FAILED'],
  ])('400 for %s', async (_name, body, code) => {
    const res = await t
      .http()
      .post('/api/v1/ab-tests')
      .set(admin())
      .send({ name: 'bad', model_type: 'safety_classifier', variant_a: 'v1.0.0', variant_b: 'v2.0.0', ...body })
      .expect(400);
    expect(res.body).toMatchObject({ status_code: 400, code });
  });

  it('graduating a shadow test that is not ready is 409 SHADOW_NOT_READY with the reasons; a queue overflow drops and counts, never delaying answers', async () => {
    const { id } = await createShadow({ criteria: { min_requests: 100000 } });
    const res = await t.http().post(`/api/v1/ab-tests/${id}/graduate`).set(admin()).send({ traffic_split: { a: 0.5, b: 0.5 } }).expect(409);
    expect(res.body).toMatchObject({ code: 'SHADOW_NOT_READY' });
    expect(res.body.message).toMatch(/keep_shadowing.*0 of 100000 comparisons/);

    // A second instance with room for one queued comparison, taking a burst of 40 concurrent checks.
    const small = await createTestApp(
      { SHADOW_QUEUE_SIZE: '1', METRICS_FLUSH_MS: '100', RATE_LIMIT_WRITES_PER_MINUTE: '0', DATA_DIR: t.config.dataDir },
      { database: { url: t.databaseUrl }, jwtSecret: t.tokens.secret },
    );
    try {
      const started = Date.now();
      const answers = await Promise.all(
        Array.from({ length: 40 }, (_, i) => small.http().post('/api/v1/safety/check').set(bearer(t.tokens.service)).send({ text: TEXTS[i * 7]!, user_id: `burst-${i}` })),
      );
      const elapsed = Date.now() - started;
      for (const answer of answers) expect(answer.body, JSON.stringify(answer.body)).toMatchObject({ ab_test_id: id, variant: 'a', model_version: 'v1.0.0' });
      await settle(small);
      const doc = await results(id);
      expect(doc.shadow.dropped).toBeGreaterThan(0);
      expect(doc.shadow.compared + doc.shadow.dropped + doc.shadow.errors_b.n).toBe(40);
      console.log(`[shadow] burst of 40 with a 1-slot queue: ${doc.shadow.compared} compared, ${doc.shadow.dropped} dropped, all answered in ${elapsed} ms`);
    } finally {
      await small.close();
    }
    await complete(id);
  });
});
