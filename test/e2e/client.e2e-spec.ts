import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createModelAbClient, ModelAbError, unwrap, type ModelAbClient } from '../../client/index.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

/*
 * The shipped typed client (client/, generated from openapi.json by `npm run client`) drives the
 * whole A/B test workflow against a listening service. The bodies are the README's minimal ones:
 * `npm run typecheck` compiling this file is the proof that generated types accept them.
 */
describe('typed client (openapi-typescript + openapi-fetch)', () => {
  let t: TestApp;
  let baseUrl: string;
  let admin: ModelAbClient;

  beforeAll(async () => {
    t = await createTestApp({ SEED_EXAMPLE_MODELS: 'true' });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const address = t.app.getHttpServer().address() as { port: number };
    baseUrl = `http://127.0.0.1:${address.port}`;
    admin = createModelAbClient({ baseUrl, token: t.tokens.admin });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('runs the seed workflow end to end', async () => {
    const alice = createModelAbClient({ baseUrl, token: t.tokens.user('alice') });
    const service = createModelAbClient({ baseUrl, token: t.tokens.service });

    // README, "Quick start": the minimal create body, then start with no body
    const created = await unwrap(
      admin.POST('/api/v1/ab-tests', {
        body: { name: 'Safety Classifier v2 Test', model_type: 'safety_classifier', variant_a: 'v1.0.0', variant_b: 'v2.0.0', traffic_split: { a: 0.5, b: 0.5 } },
      }),
    );
    expect(created).toMatchObject({ status: 'draft', hash_seed: created.test_id, auto_pause: false });
    const path = { test_id: created.test_id };
    expect((await unwrap(admin.POST('/api/v1/ab-tests/{test_id}/start', { params: { path } }))).status).toBe('active');

    const variant = await unwrap(alice.GET('/api/v1/ab-tests/user/variant', { params: { query: { model_type: 'safety_classifier' } } }));
    expect(variant).toMatchObject({ ab_test_id: created.test_id, model_type: 'safety_classifier' });
    expect(['a', 'b']).toContain(variant.variant);

    const check = await unwrap(alice.POST('/api/v1/safety/check', { body: { text: 'what is my account balance?' } }));
    expect(check.ab_test_id).toBe(created.test_id);
    expect((await unwrap(alice.POST('/api/v1/predictions/{prediction_id}/feedback', { params: { path: { prediction_id: check.prediction_id } }, body: { correct: true } }))).correct).toBe(true);

    const batch = await unwrap(
      service.POST('/api/v1/ab-tests/{test_id}/metrics', {
        params: { path },
        body: { events: [{ variant: 'a', latency_ms: 120 }, { variant: 'b', latency_ms: 95 }, { variant: 'b', error: true }] },
      }),
    );
    expect(batch).toMatchObject({ accepted: 3, requests: 3, custom: 0 });

    expect((await unwrap(admin.PATCH('/api/v1/ab-tests/{test_id}/traffic-split', { params: { path }, body: { a: 0.1, b: 0.9 } }))).traffic_split).toEqual({ a: 0.1, b: 0.9 });
    const detail = await unwrap(admin.GET('/api/v1/ab-tests/{test_id}', { params: { path } }));
    expect(detail.assignments.total).toBeGreaterThanOrEqual(1);
    const results = await unwrap(admin.GET('/api/v1/ab-tests/{test_id}/results', { params: { path } }));
    expect(results.recommendation.decision).toBe('keep_running');

    await unwrap(admin.POST('/api/v1/ab-tests/{test_id}/pause', { params: { path } }));
    const completed = await unwrap(
      admin.POST('/api/v1/ab-tests/{test_id}/complete', { params: { path }, body: { winner: 'b', promote: true, notes: 'b cut false positives by 12% at equal latency' } }),
    );
    expect(completed).toMatchObject({ status: 'completed', winner: 'b' });
    const events = await unwrap(admin.GET('/api/v1/ab-tests/{test_id}/events', { params: { path } }));
    expect(events.items.map((e) => e.action)).toEqual(['created', 'started', 'traffic_split_changed', 'paused', 'completed']);

    // README: roll back, and put v2.0.0 back in staging so the quick start can run again
    const version = (v: string) => ({ params: { path: { model_type: 'safety_classifier', version: v } } });
    expect((await unwrap(admin.POST('/api/v1/models/{model_type}/versions/{version}/promote', { ...version('v1.0.0'), body: { stage: 'production' } }))).stage).toBe('production');
    expect((await unwrap(admin.POST('/api/v1/models/{model_type}/versions/{version}/promote', { ...version('v2.0.0'), body: { stage: 'staging' } }))).stage).toBe('staging');
  });

  it('errors arrive typed, with their stable code', async () => {
    const { error, response } = await admin.GET('/api/v1/ab-tests/{test_id}', { params: { path: { test_id: '3f0c2a1e-9b7d-4c5e-8f6a-1b2c3d4e5f60' } } });
    expect(response.status).toBe(404);
    expect(error?.code).toBe('AB_TEST_NOT_FOUND');
    await expect(
      unwrap(admin.POST('/api/v1/ab-tests/{test_id}/complete', { params: { path: { test_id: '3f0c2a1e-9b7d-4c5e-8f6a-1b2c3d4e5f60' } }, body: { winner: null } })),
    ).rejects.toBeInstanceOf(ModelAbError);
  });
});
