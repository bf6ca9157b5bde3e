import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type supertest from 'supertest';
import { OpenApiContract, type OpenApiDocument } from '../support/openapi-contract.js';
import { buildTestModel } from '../support/model-artifacts.js';
import { API_RESOURCE, DASHBOARD_CLIENT, followProviderRedirects, startOidcProvider } from '../support/oidc-provider.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

/*
 * The API contract: the whole workflow and ~40 bad requests through the real app, every response
 * (status, JSON body, declared headers) validated against the document the app serves at
 * /docs-json. Zero mismatches allowed.
 */
describe('API contract: every response matches the served OpenAPI document', () => {
  let t: TestApp;
  let contract: OpenApiContract;
  const admin = () => ({ authorization: `Bearer ${t.tokens.admin}` });
  const service = () => ({ authorization: `Bearer ${t.tokens.service}` });
  const user = (sub: string) => ({ authorization: `Bearer ${t.tokens.user(sub)}` });

  interface Call {
    headers?: Record<string, string>;
    body?: unknown;
    /** Raw body sent as is (with headers['content-type']). */
    raw?: string;
    build?: (request: supertest.Test) => supertest.Test;
  }

  async function call(method: string, url: string, expected: number, options: Call = {}): Promise<supertest.Response> {
    let request = (t.http() as unknown as Record<string, (url: string) => supertest.Test>)[method.toLowerCase()]!(url);
    for (const [name, value] of Object.entries(options.headers ?? {})) request = request.set(name, value);
    if (options.build) request = options.build(request);
    else if (options.raw !== undefined) request = request.send(options.raw);
    else if (options.body !== undefined) request = request.send(options.body as object);
    const response = await request.buffer(true);
    const problems = contract.check(method, url, { status: response.status, headers: response.headers as Record<string, string>, body: response.body, text: response.text });
    expect(problems, `${method} ${url}`).toEqual([]);
    expect(response.status, `${method} ${url}: ${response.text?.slice(0, 300)}`).toBe(expected);
    // Every response names its request, except one the HTTP parser refused before there was a request.
    if (response.status !== 431) expect(response.headers['x-request-id'], `${method} ${url} → ${response.status}`).toBeTruthy();
    return response;
  }

  beforeAll(async () => {
    t = await createTestApp({ SEED_EXAMPLE_MODELS: 'true', BODY_LIMIT_BYTES: '65536', RATE_LIMIT_WRITES_PER_MINUTE: '3' });
    const docs = await t.http().get('/docs-json').expect(200);
    contract = new OpenApiContract(docs.body as OpenApiDocument);
  });
  afterAll(async () => {
    if (contract) {
      const operations = Object.values(contract.document.paths).reduce((n, item) => n + Object.keys(item).length, 0);
      console.log(`[contract] ${contract.checked} responses checked, ${contract.covered.size} of ${operations} operations exercised, ${contract.mismatches.length} mismatches`);
    }
    await t?.close();
  });

  let testId = '';
  let predictionId = '';
  let conversationId = '';

  it('the whole workflow', async () => {
    await call('GET', '/health', 200);
    await call('GET', '/health/ready', 200);
    await call('GET', '/metrics', 200);
    await call('GET', '/api/v1/auth/me', 200, { headers: admin() });
    await call('GET', '/api/v1/auth/session', 200, {});
    await call('POST', '/api/v1/auth/session', 200, { headers: admin() });
    await call('DELETE', '/api/v1/auth/session', 204, { headers: admin() });

    // Model registry
    await call('GET', '/api/v1/models', 200, { headers: user('reader') });
    await call('GET', '/api/v1/models/safety_classifier', 200, { headers: user('reader') });
    await call('GET', '/api/v1/models/safety_classifier/versions?stage=production&limit=5', 200, { headers: user('reader') });
    await call('GET', '/api/v1/models/safety_classifier/versions/v2.0.0', 200, { headers: user('reader') });
    const download = await call('GET', '/api/v1/models/safety_classifier/versions/2.0.0/artifact', 200, { headers: service() });
    expect(download.headers['x-artifact-sha256']).toMatch(/^[0-9a-f]{64}$/);
    await call('GET', '/api/v1/models/safety_classifier/versions/v1.0.0/stage-changes', 200, { headers: user('reader') });
    await call('POST', '/api/v1/models', 201, { headers: admin(), body: { name: 'contract_model', task: 'text-classification', labels: ['safe', 'toxic', 'self_harm', 'pii'] } });
    const model = buildTestModel({ seed: 7 });
    await call('POST', '/api/v1/models/contract_model/versions', 201, {
      headers: admin(),
      build: (r) => r.field('version', 'v1.0.0').field('metadata', JSON.stringify(model.metadata)).attach('file', model.bytes, 'model.onnx'),
    });
    await call('POST', '/api/v1/models/contract_model/versions/v1.0.0/promote', 200, { headers: admin(), body: { stage: 'production', reason: 'first version' } });

    // An A/B test with every kind of criterion, through its whole life
    const created = await call('POST', '/api/v1/ab-tests', 201, {
      headers: admin(),
      body: {
        name: 'Contract test',
        model_type: 'intent_classifier',
        variant_a: 'v1.0.0',
        variant_b: 'v2.0.0',
        traffic_split: { a: 0.5, b: 0.5 },
        criteria: { min_requests: 10, max_error_rate: 0.5, max_latency_ms: 500, min_improvement: 0.01 },
        metrics: [{ name: 'accuracy' }],
      },
    });
    testId = created.body.test_id as string;
    // What curl -H 'Content-Type: application/json' and many generated clients send: no body.
    await call('POST', `/api/v1/ab-tests/${testId}/start`, 200, { headers: { ...admin(), 'content-type': 'application/json' }, raw: '' });
    await call('GET', '/api/v1/ab-tests/user/variant?model_type=intent_classifier', 200, { headers: user('alice') });
    await call('GET', '/api/v1/ab-tests/user/variant?model_type=intent_classifier&user_id=bob', 200, { headers: service() });
    await call('POST', `/api/v1/ab-tests/${testId}/metrics`, 200, {
      headers: service(),
      body: {
        events: [
          ...Array.from({ length: 12 }, (_, i) => ({ variant: 'a', latency_ms: 100 + i, error: i === 0 })),
          ...Array.from({ length: 12 }, (_, i) => ({ variant: 'b', latency_ms: 90 + i })),
          ...Array.from({ length: 6 }, (_, i) => ({ variant: i % 2 ? 'a' : 'b', metric: 'accuracy', value: i % 3 ? 1 : 0 })),
        ],
      },
    });
    const results = await call('GET', `/api/v1/ab-tests/${testId}/results`, 200, { headers: service() });
    expect((results.body.criteria as Array<{ name: string }>).map((c) => c.name)).toEqual(['min_requests', 'max_error_rate', 'max_latency_ms', 'min_improvement']);
    await call('GET', `/api/v1/ab-tests/${testId}/timeseries?metric=latency_ms&interval=minute`, 200, { headers: service() });

    const talk = await call('POST', '/api/v1/conversations/messages', 201, { headers: user('carol'), body: { text: 'I was charged twice this month' } });
    conversationId = talk.body.conversation_id as string;
    await call('GET', `/api/v1/conversations/${conversationId}`, 200, { headers: user('carol') });
    const check = await call('POST', '/api/v1/safety/check', 200, { headers: user('dave'), body: { text: 'hello, how are you?' } });
    predictionId = check.body.prediction_id as string;
    await call('POST', `/api/v1/predictions/${predictionId}/feedback`, 200, { headers: user('dave'), body: { correct: true } });

    await call('PATCH', `/api/v1/ab-tests/${testId}/traffic-split`, 200, { headers: admin(), body: { a: 0.2, b: 0.8 } });
    await call('GET', `/api/v1/ab-tests/${testId}`, 200, { headers: service() });
    await call('GET', '/api/v1/ab-tests?model_type=intent_classifier&status=active', 200, { headers: service() });
    await call('POST', `/api/v1/ab-tests/${testId}/pause`, 200, { headers: admin() });
    await call('POST', `/api/v1/ab-tests/${testId}/complete`, 200, { headers: admin(), body: { winner: 'b', notes: 'contract' } });
    await call('GET', `/api/v1/ab-tests/${testId}/results`, 200, { headers: admin() });
    await call('GET', `/api/v1/ab-tests/${testId}/events?limit=10`, 200, { headers: admin() });
  });

  it('bad requests: each answers its declared status in the one error shape', async () => {
    const missing = randomUUID();
    const json = { 'content-type': 'application/json' };
    const create = { name: 'x', model_type: 'safety_classifier', variant_a: 'v1.0.0', variant_b: 'v2.0.0', traffic_split: { a: 0.5, b: 0.5 } };
    const cases: Array<[string, string, number, Call, string?]> = [
      ['GET', '/api/v1/nothing', 404, {}, 'NOT_FOUND'],
      ['DELETE', '/api/v1/ab-tests', 405, { headers: admin() }, 'METHOD_NOT_ALLOWED'],
      ['GET', '/api/v1/auth/me', 401, {}, 'AUTH_REQUIRED'],
      ['GET', '/api/v1/auth/me', 401, { headers: { authorization: `Bearer ${t.tokens.expired()}` } }, 'TOKEN_EXPIRED'],
      ['GET', '/api/v1/models', 401, { headers: { authorization: `Bearer ${t.tokens.signedWithOtherKey()}` } }, 'TOKEN_INVALID'],
      ['GET', '/api/v1/ab-tests', 403, { headers: user('eve') }, 'FORBIDDEN_ROLE'],
      ['POST', '/api/v1/ab-tests', 400, { headers: { ...admin(), ...json }, raw: '{"name": ' }, 'MALFORMED_JSON'],
      ['POST', '/api/v1/ab-tests', 415, { headers: { ...admin(), 'content-type': 'application/x-www-form-urlencoded' }, raw: JSON.stringify(create) }, 'UNSUPPORTED_MEDIA_TYPE'],
      ['POST', '/api/v1/safety/check', 415, { headers: { ...service(), 'content-type': 'text/plain' }, raw: 'hello' }, 'UNSUPPORTED_MEDIA_TYPE'],
      ['POST', '/api/v1/ab-tests', 400, { headers: { ...admin(), ...json }, raw: '' }, 'VALIDATION_FAILED'],
      ['POST', '/api/v1/ab-tests', 400, { headers: admin(), body: { ...create, traffic_split: { a: 2, b: -1 }, extra: 1 } }, 'VALIDATION_FAILED'],
      ['POST', '/api/v1/ab-tests', 400, { headers: admin(), body: { ...create, traffic_split: { a: 0.6, b: 0.6 } } }, 'INVALID_TRAFFIC_SPLIT'],
      ['POST', '/api/v1/ab-tests', 400, { headers: admin(), body: { ...create, variant_b: 'v1.0.0' } }, 'IDENTICAL_VARIANTS'],
      ['POST', '/api/v1/ab-tests', 400, { headers: admin(), body: { ...create, variant_b: '2.1' } }, 'VALIDATION_FAILED'],
      ['POST', '/api/v1/ab-tests', 400, { headers: admin(), body: { ...create, metrics: [{ name: 'acc' }, { name: 'acc' }] } }, 'DUPLICATE_METRIC'],
      ['POST', '/api/v1/ab-tests', 422, { headers: admin(), body: { ...create, model_type: 'safety_clasifier' } }, 'UNKNOWN_MODEL_TYPE'],
      ['POST', '/api/v1/ab-tests', 422, { headers: admin(), body: { ...create, variant_b: 'v2.0.1' } }, 'UNKNOWN_MODEL_VERSION'],
      ['POST', '/api/v1/ab-tests', 413, { headers: admin(), body: { ...create, description: 'x'.repeat(70_000) } }, 'PAYLOAD_TOO_LARGE'],
      ['GET', '/api/v1/ab-tests/not-a-uuid', 400, { headers: admin() }, 'VALIDATION_FAILED'],
      ['GET', `/api/v1/ab-tests/${missing}`, 404, { headers: admin() }, 'AB_TEST_NOT_FOUND'],
      ['GET', '/api/v1/ab-tests/not-a-uuid/results', 400, { headers: admin() }, 'VALIDATION_FAILED'],
      ['GET', `/api/v1/ab-tests/${missing}/results`, 404, { headers: admin() }, 'AB_TEST_NOT_FOUND'],
      ['GET', '/api/v1/ab-tests?limit=1000&colour=red', 400, { headers: admin() }, 'VALIDATION_FAILED'],
      ['POST', `/api/v1/ab-tests/${missing}/start`, 404, { headers: admin() }, 'AB_TEST_NOT_FOUND'],
      ['POST', `/api/v1/ab-tests/${testId}/start`, 409, { headers: admin() }, 'INVALID_TRANSITION'],
      ['POST', `/api/v1/ab-tests/${testId}/complete`, 409, { headers: admin(), body: { winner: null } }, 'INVALID_TRANSITION'],
      ['POST', `/api/v1/ab-tests/${testId}/complete`, 400, { headers: admin() }, 'VALIDATION_FAILED'],
      ['POST', `/api/v1/ab-tests/${testId}/complete`, 400, { headers: admin(), body: { winner: null, promote: true } }, 'PROMOTE_REQUIRES_WINNER'],
      ['PATCH', `/api/v1/ab-tests/${testId}/traffic-split`, 409, { headers: admin(), body: { a: 0.5, b: 0.5 } }, 'INVALID_TRANSITION'],
      ['POST', `/api/v1/ab-tests/${testId}/metrics`, 409, { headers: service(), body: { events: [{ variant: 'a', latency_ms: 1 }] } }, 'AB_TEST_NOT_RECORDING'],
      ['POST', `/api/v1/ab-tests/${missing}/metrics`, 400, { headers: service(), body: { events: [{ variant: 'c' }] } }, 'METRIC_EVENT_INVALID'],
      ['GET', `/api/v1/ab-tests/${testId}/timeseries?metric=Accuracy`, 400, { headers: admin() }, 'VALIDATION_FAILED'],
      ['GET', `/api/v1/ab-tests/${testId}/timeseries?metric=requests&from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z`, 400, { headers: admin() }, 'INVALID_TIME_RANGE'],
      ['GET', '/api/v1/ab-tests/user/variant?model_type=intent_classifier&user_id=bob', 403, { headers: user('alice') }, 'FORBIDDEN_USER_ID'],
      ['GET', '/api/v1/ab-tests/user/variant', 400, { headers: user('alice') }, 'VALIDATION_FAILED'],
      ['GET', '/api/v1/ab-tests/user/variant?model_type=contract_none', 404, { headers: user('alice') }, 'NO_MODEL_VERSION'],
      ['GET', `/api/v1/models/${'a'.repeat(200)}`, 414, { headers: admin() }, 'URI_TOO_LONG'],
      ['GET', '/api/v1/models/%E0%A4%A', 400, { headers: admin() }, 'BAD_REQUEST'],
      ['GET', '/api/v1/models/spam_filter', 404, { headers: admin() }, 'MODEL_TYPE_NOT_FOUND'],
      ['POST', '/api/v1/models', 409, { headers: admin(), body: { name: 'contract_model', task: 'text-classification' } }, 'DUPLICATE_MODEL_TYPE'],
      ['POST', '/api/v1/models', 400, { headers: admin(), body: { name: 'Bad Name!', task: 'text-classification' } }, 'VALIDATION_FAILED'],
      ['GET', '/api/v1/models/safety_classifier/versions/v9.9.9', 404, { headers: admin() }, 'MODEL_VERSION_NOT_FOUND'],
      ['GET', '/api/v1/models/safety_classifier/versions/v9.9.9/artifact', 404, { headers: admin() }, 'MODEL_VERSION_NOT_FOUND'],
      ['POST', '/api/v1/models/safety_classifier/versions/v2.0.0/promote', 400, { headers: admin(), body: { stage: 'prod' } }, 'VALIDATION_FAILED'],
      [
        'POST',
        '/api/v1/models/contract_model/versions',
        409,
        { headers: admin(), build: (r) => r.field('version', 'v1.0.0').attach('file', buildTestModel({ seed: 8 }).bytes, 'model.onnx') },
        'DUPLICATE_MODEL_VERSION',
      ],
      ['POST', '/api/v1/models/contract_model/versions', 400, { headers: admin(), build: (r) => r.field('version', '2.1').attach('file', Buffer.from('x'), 'm.onnx') }, 'INVALID_VERSION'],
      ['POST', '/api/v1/models/contract_model/versions', 422, { headers: admin(), build: (r) => r.field('version', 'v3.0.0').attach('file', Buffer.from('not onnx'), 'm.onnx') }, 'INVALID_ARTIFACT'],
      ['POST', `/api/v1/predictions/${predictionId}/feedback`, 409, { headers: service(), body: { correct: false } }, 'FEEDBACK_ALREADY_GIVEN'],
      ['POST', `/api/v1/predictions/${missing}/feedback`, 404, { headers: service(), body: { correct: false } }, 'PREDICTION_NOT_FOUND'],
      ['GET', `/api/v1/conversations/${missing}`, 404, { headers: service() }, 'CONVERSATION_NOT_FOUND'],
      ['GET', `/api/v1/conversations/${conversationId}`, 404, { headers: user('mallory') }, 'CONVERSATION_NOT_FOUND'],
      ['GET', '/health', 431, { headers: { 'x-padding': 'a'.repeat(20_000) } }, 'HEADERS_TOO_LARGE'],
    ];
    for (const [method, url, status, options, code] of cases) {
      const response = await call(method, url, status, options);
      if (code) expect(response.body.code, `${method} ${url}: ${response.body.message}`).toBe(code);
    }
    // Over the write limit (3 a minute per user token): 429 with Retry-After
    const statuses: number[] = [];
    const flood = user('flood'); // one token: the limit counts per token
    for (let i = 0; i < 4; i++) {
      const response = await call('POST', '/api/v1/safety/check', i < 3 ? 200 : 429, { headers: flood, body: { text: 'hi' } });
      statuses.push(response.status);
      if (response.status === 429) expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect(cases.length + 1).toBeGreaterThanOrEqual(40);
  });

  it('newcomer errors say what to do', async () => {
    const create = { name: 'n', model_type: 'safety_classifier', variant_a: 'v1.0.0', variant_b: 'v2.0.0', traffic_split: { a: 0.5, b: 0.5 } };
    const form = await call('POST', '/api/v1/ab-tests', 415, { headers: { ...admin(), 'content-type': 'application/x-www-form-urlencoded' }, raw: JSON.stringify(create) });
    expect(form.body.message).toBe('This route takes a JSON body: send Content-Type: application/json (got application/x-www-form-urlencoded)');
    const wrongMethod = await call('PUT', `/api/v1/ab-tests/${testId}/traffic-split`, 405, { headers: admin(), body: { a: 1, b: 0 } });
    expect(wrongMethod.headers.allow).toBe('PATCH');
    expect(wrongMethod.body).toMatchObject({ code: 'METHOD_NOT_ALLOWED', details: { allowed_methods: ['PATCH'] } });
    expect((await call('DELETE', '/api/v1/ab-tests', 405, { headers: admin() })).headers.allow).toBe('GET, HEAD, POST');

    const draft = await call('POST', '/api/v1/ab-tests', 201, { headers: admin(), body: { ...create, model_type: 'safety_classifier' } });
    const id = draft.body.test_id as string;
    for (const action of ['start', 'pause', 'start']) {
      await call('POST', `/api/v1/ab-tests/${id}/${action}`, 200, { headers: { ...admin(), 'content-type': 'application/json' }, raw: '' });
    }
    const noWinner = await call('POST', `/api/v1/ab-tests/${id}/complete`, 400, { headers: { ...admin(), 'content-type': 'application/json' }, raw: '' });
    expect(noWinner.body.message).toBe('winner is required: "a", "b", or null to complete without a winner (completing is final)');
    expect((await call('GET', `/api/v1/ab-tests/${id}`, 200, { headers: admin() })).body.status).toBe('active');
    await call('POST', `/api/v1/ab-tests/${id}/complete`, 200, { headers: admin(), body: { winner: null } });

    const typo = await call('POST', '/api/v1/ab-tests', 422, { headers: admin(), body: { ...create, model_type: 'safety_clasifier' } });
    expect(typo.body.message).toBe('Model type "safety_clasifier" is not registered; did you mean safety_classifier?');
    expect(typo.body.details.suggestions).toEqual(['safety_classifier']);
    const version = await call('POST', '/api/v1/ab-tests', 422, { headers: admin(), body: { ...create, variant_b: 'v2.0.1' } });
    expect(version.body.message).toBe('variant_b: model version "v2.0.1" of "safety_classifier" does not exist; did you mean v2.0.0 or v1.0.0?');
    const malformed = await call('POST', '/api/v1/ab-tests', 400, { headers: admin(), body: { ...create, variant_b: '2.1' } });
    expect(malformed.body.message).toBe('variant_b: "2.1" is not a semantic version (e.g. v2.0.0 or 1.4.0-rc.1)');
    expect(malformed.body.details).toEqual([{ field: 'variant_b', problems: ['variant_b: "2.1" is not a semantic version (e.g. v2.0.0 or 1.4.0-rc.1)'] }]);
  });

  it('shadow tests, their graduation to a rollout, and the dashboard session', async () => {
    const json = { 'content-type': 'application/json' };
    // Shadow test: b compared on a's traffic, never served
    const shadow = await call('POST', '/api/v1/ab-tests', 201, {
      headers: admin(),
      body: { name: 'Contract shadow', model_type: 'safety_classifier', variant_a: 'v1.0.0', variant_b: 'v2.0.0', mode: 'shadow', criteria: { min_requests: 20, min_agreement: 0.8 } },
    });
    const shadowId = shadow.body.test_id as string;
    await call('POST', `/api/v1/ab-tests/${shadowId}/start`, 200, { headers: admin() });
    const early = await call('POST', `/api/v1/ab-tests/${shadowId}/graduate`, 409, { headers: admin(), body: { traffic_split: { a: 0.9, b: 0.1 } } });
    expect(early.body).toMatchObject({ code: 'SHADOW_NOT_READY', details: { test_id: shadowId, decision: 'keep_shadowing' } });
    const comparisons = Array.from({ length: 25 }, (_, i) => ({
      type: 'comparison',
      label_a: 'safe',
      label_b: i < 3 ? 'toxic' : 'safe',
      latency_ms_a: 1 + i / 10,
      latency_ms_b: 1.5 + i / 10,
      score_a: 0.9,
      score_b: 0.6,
      input: `message ${i}`,
    }));
    const served = Array.from({ length: 25 }, (_, i) => ({ variant: 'a', latency_ms: 10 + i }));
    const recorded = await call('POST', `/api/v1/ab-tests/${shadowId}/metrics`, 200, { headers: service(), body: { events: [...served, ...comparisons] } });
    expect(recorded.body).toEqual({ accepted: 50, requests: 25, custom: 0, comparisons: 25 });
    const page = await call('GET', `/api/v1/ab-tests/${shadowId}/disagreements?limit=2`, 200, { headers: service() });
    expect(page.body).toMatchObject({ total: 3, limit: 2, offset: 0 });
    expect(page.body.items).toHaveLength(2);
    const shadowResults = await call('GET', `/api/v1/ab-tests/${shadowId}/results`, 200, { headers: admin() });
    expect(shadowResults.body.recommendation.decision).toBe('ready_for_ab');
    const both = await call('POST', `/api/v1/ab-tests/${shadowId}/graduate`, 400, { headers: admin(), body: { traffic_split: { a: 0.9, b: 0.1 }, rollout: { steps: [0.1, 1] } } });
    expect(both.body.code).toBe('INVALID_TEST_MODE');
    await call('GET', `/api/v1/ab-tests/${shadowId}/disagreements?limit=0`, 400, { headers: admin() });

    // Graduation into a guarded rollout: the new test starts at the first step
    const graduated = await call('POST', `/api/v1/ab-tests/${shadowId}/graduate`, 201, {
      headers: admin(),
      body: { name: 'Contract rollout', rollout: { steps: [0.1, 0.5, 1], step_min_seconds: 3600, step_min_requests: 1000 } },
    });
    const rolloutId = graduated.body.test_id as string;
    expect(graduated.body).toMatchObject({ mode: 'ab', status: 'active', source_test_id: shadowId, traffic_split: { a: 0.9, b: 0.1 } });
    const detail = await call('GET', `/api/v1/ab-tests/${rolloutId}`, 200, { headers: admin() });
    expect(detail.body.rollout).toMatchObject({ steps: [0.1, 0.5, 1], current_step: 0 });
    await call('GET', `/api/v1/ab-tests/${rolloutId}/results`, 200, { headers: admin() });
    await call('GET', `/api/v1/ab-tests/${rolloutId}/events`, 200, { headers: admin() });
    const notShadow = await call('GET', `/api/v1/ab-tests/${rolloutId}/disagreements`, 409, { headers: admin() });
    expect(notShadow.body).toMatchObject({ code: 'NOT_A_SHADOW_TEST', details: { test_id: rolloutId } });
    expect((await call('POST', `/api/v1/ab-tests/${rolloutId}/graduate`, 409, { headers: admin(), body: { traffic_split: { a: 0.5, b: 0.5 } } })).body.code).toBe('NOT_A_SHADOW_TEST');
    expect((await call('POST', `/api/v1/ab-tests/${shadowId}/graduate`, 409, { headers: admin(), body: { traffic_split: { a: 0.5, b: 0.5 } } })).body.code).toBe('INVALID_TRANSITION');
    await call('GET', `/api/v1/ab-tests/${randomUUID()}/disagreements`, 404, { headers: admin() });
    await call('POST', `/api/v1/ab-tests/${randomUUID()}/graduate`, 404, { headers: admin(), body: { traffic_split: { a: 0.5, b: 0.5 } } });
    await call('POST', `/api/v1/ab-tests/${shadowId}/graduate`, 415, { headers: { ...admin(), 'content-type': 'text/plain' }, raw: 'graduate' });
    const create = { name: 'bad', model_type: 'intent_classifier', variant_a: 'v1.0.0', variant_b: 'v2.0.0' };
    const steps = await call('POST', '/api/v1/ab-tests', 400, { headers: admin(), body: { ...create, rollout: { steps: [0.1, 0.5, 0.5] } } });
    expect(steps.body).toMatchObject({ code: 'INVALID_ROLLOUT', details: { problems: ['rollout.steps must increase: steps[2] = 0.5 is not above 0.5'] } });
    const mode = await call('POST', '/api/v1/ab-tests', 400, { headers: admin(), body: { ...create, traffic_split: { a: 0.5, b: 0.5 }, shadow_sample_rate: 0.5 } });
    expect(mode.body.code).toBe('INVALID_TEST_MODE');
    await call('POST', `/api/v1/ab-tests/${rolloutId}/pause`, 200, { headers: { ...admin(), ...json }, raw: '' });
    await call('POST', `/api/v1/ab-tests/${rolloutId}/complete`, 200, { headers: admin(), body: { winner: null, notes: 'contract rollout' } });

    // The dashboard's session: a bearer token turned into a cookie; cookie writes only from this origin
    expect((await call('POST', '/api/v1/auth/session', 401, {})).body.code).toBe('AUTH_REQUIRED');
    const host = 'contract.model-ab.test';
    const signIn = await call('POST', '/api/v1/auth/session', 200, { headers: { ...admin(), host } });
    const cookie = String([signIn.headers['set-cookie']].flat()[0]).split(';')[0]!;
    expect(cookie).toMatch(/=./);
    const status = await call('GET', '/api/v1/auth/session', 200, { headers: { cookie, host } });
    expect(status.body).toMatchObject({ signed_in: true, roles: ['admin'] });
    const csrf = await call('DELETE', '/api/v1/auth/session', 403, { headers: { cookie, host, origin: 'https://elsewhere.example' } });
    expect(csrf.body.code).toBe('CSRF_REJECTED');
    expect((await call('POST', `/api/v1/ab-tests/${rolloutId}/start`, 403, { headers: { cookie, host } })).body.code).toBe('CSRF_REJECTED');
    await call('DELETE', '/api/v1/auth/session', 204, { headers: { cookie, host, origin: `http://${host}` } });
    expect((await call('GET', '/api/v1/auth/session', 200, {})).body).toEqual({ signed_in: false, sub: null, roles: [], provider: null, provider_sign_in_url: null });
    // Sign-in through an identity provider is off here (no OIDC_CLIENT_ID); the next test signs in through one.
    expect((await call('GET', '/api/v1/auth/oidc/login', 404, {})).body.code).toBe('OIDC_SIGN_IN_NOT_CONFIGURED');
  });

  it('the dashboard sign-in through an identity provider (oidc-provider): pages, session and errors', async () => {
    const redirectUri = 'http://127.0.0.1:9/api/v1/auth/oidc/callback';
    const idp = await startOidcProvider({ dashboardRedirectUri: redirectUri });
    const app = await createTestApp({
      OIDC_ISSUER: idp.issuer,
      OIDC_AUDIENCE: 'model-ab-api',
      OIDC_ROLES_CLAIM: 'realm_access.roles',
      OIDC_ROLE_MAP: 'ml-admin=admin',
      OIDC_CLIENT_ID: DASHBOARD_CLIENT.id,
      OIDC_CLIENT_SECRET: DASHBOARD_CLIENT.secret,
      OIDC_REDIRECT_URI: redirectUri,
      OIDC_SCOPES: 'openid api',
      OIDC_AUTHORIZE_PARAMS: `resource=${encodeURIComponent(API_RESOURCE)}&login_hint=root`,
    });
    const send = async (url: string, expected: number, headers: Record<string, string> = {}) => {
      let request = app.http().get(url);
      for (const [name, value] of Object.entries(headers)) request = request.set(name, value);
      const response = await request.buffer(true);
      expect(contract.check('GET', url, { status: response.status, headers: response.headers as Record<string, string>, body: response.body, text: response.text }), url).toEqual([]);
      expect(response.status, `${url}: ${response.text.slice(0, 300)}`).toBe(expected);
      return response;
    };
    try {
      expect((await send('/api/v1/auth/session', 200)).body).toMatchObject({ provider: new URL(idp.issuer).host, provider_sign_in_url: '/api/v1/auth/oidc/login' });
      const login = await send('/api/v1/auth/oidc/login', 200);
      const loginCookie = String([login.headers['set-cookie']].flat()[0]).split(';')[0]!;
      const authorize = /<a id="continue" href="([^"]+)">/.exec(login.text)![1]!.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)));
      const answer = await followProviderRedirects(authorize, idp.issuer, redirectUri);
      const callbackOf = (params: URLSearchParams) => `/api/v1/auth/oidc/callback?${params.toString()}`;
      const wrongState = new URLSearchParams(answer.searchParams);
      wrongState.set('state', 'not-the-state');
      expect((await send(callbackOf(wrongState), 400, { cookie: loginCookie })).body.code).toBe('OIDC_STATE_MISMATCH');
      expect((await send(callbackOf(answer.searchParams), 400)).body.code).toBe('OIDC_SIGN_IN_EXPIRED');
      const refused = new URLSearchParams({ error: 'access_denied', state: answer.searchParams.get('state')! });
      await send(callbackOf(refused), 401, { cookie: loginCookie, accept: 'text/html' });
      const login2 = await send('/api/v1/auth/oidc/login', 200);
      const cookie2 = String([login2.headers['set-cookie']].flat()[0]).split(';')[0]!;
      const answer2 = await followProviderRedirects(/<a id="continue" href="([^"]+)">/.exec(login2.text)![1]!.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code))), idp.issuer, redirectUri);
      const signedIn = await send(callbackOf(answer2.searchParams), 200, { cookie: cookie2, accept: 'text/html' });
      expect(String(signedIn.headers['set-cookie'])).toContain('model_ab_session=');
      const replayed = await send(callbackOf(answer2.searchParams), 400, { cookie: cookie2 });
      expect(replayed.body).toMatchObject({ code: 'OIDC_CODE_REJECTED', details: { error: 'invalid_grant' } });
    } finally {
      await app.close();
      await idp.close();
    }
  });

  it('no mismatch anywhere, and every operation of the document exercised', () => {
    expect(contract.mismatches).toEqual([]);
    expect(contract.checked).toBeGreaterThan(80);
    const operations = Object.values(contract.document.paths).flatMap((item) => Object.values(item).map((operation) => (operation as { operationId: string }).operationId));
    expect(operations.filter((id) => !contract.covered.has(id))).toEqual([]);
  });
});
