import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../../src/auth/roles.js';
import { buildTestModel } from '../support/model-artifacts.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { changedTables, DatabaseWatcher, type Fingerprint } from './support/db-fingerprint.js';
import {
  multipartBody,
  nastyValue,
  NASTY_STRINGS,
  pathSegment,
  queryString,
  SchemaValues,
  serializeBody,
  sometimes,
  type MultipartPart,
  type OpenApiDocument,
} from './support/fuzz-inputs.js';
import { checkErrorAnswer, injectRequest, stringsIn, type Answer } from './support/responses.js';
import { isWrite, methodOf, pathOf, ROUTE_TABLE, RouteRecorder, type RouteKey } from './support/routes.js';

/** At least 10,000 requests in all, spread evenly over the targets the app serves. */
const TOTAL_RUNS = Number(process.env.FUZZ_RUNS ?? 10_500);
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);

/** Every write route, and the two reads the issue names (the hot variant lookup, and results). */
const TARGETS: RouteKey[] = Object.keys(ROUTE_TABLE).filter(
  (route) => isWrite(route) || route === 'GET /api/v1/ab-tests/user/variant' || route === 'GET /api/v1/ab-tests/:test_id/results',
);

interface FuzzRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  payload?: string | Buffer;
  /** Every string the client sent (an error may quote them back). */
  sent: string[];
}

interface Finding {
  count: number;
  example: string;
}

const MALFORMED_JSON = [
  '{',
  '{"a":}',
  '[1,]',
  "{'a': 1}",
  'NaN',
  '{"a": NaN}',
  '{"a": Infinity}',
  '{"a":1}{"b":2}',
  '\uFEFF{}',
  '{"text": "\\ud800"}',
  '{"text": "\\u0000"}',
  '',
  '   ',
  'null',
  '"a string"',
  '12345',
  'true',
  '[]',
  '{"__proto__": {"polluted": "yes"}}',
  '{"constructor": {"prototype": {"polluted": "yes"}}}',
  '{"a": 1e400, "b": -1e400}',
  `{"events": [${'{"variant":"a"},'.repeat(100)}]}`,
];

const variant = fc.constantFrom('a', 'b');
/**
 * Valid bodies the schema's examples cannot make on their own (a metric event is a request outcome
 * or a custom value, never both), so these routes also see accepted requests.
 */
const KNOWN_GOOD: Partial<Record<RouteKey, fc.Arbitrary<unknown>>> = {
  'POST /api/v1/ab-tests/:test_id/metrics': fc.record({
    events: fc.array(
      fc.oneof(
        fc.record({ variant, latency_ms: fc.double({ min: 0, max: 1e6, noNaN: true }), error: fc.boolean() }, { requiredKeys: ['variant'] }),
        fc.record({ variant, metric: fc.constantFrom('accuracy', 'handle_time', 'x'), value: fc.double({ min: -1e9, max: 1e9, noNaN: true }) }),
      ),
      { minLength: 1, maxLength: 20 },
    ),
  }),
};

describe('bad input (property-based fuzz)', () => {
  const recorder = new RouteRecorder();
  let t: TestApp;
  let watcher: DatabaseWatcher;
  let schemas: SchemaValues;
  let baseline: Fingerprint;
  const ids: Record<string, string[]> = { model_type: ['safety_classifier', 'intent_classifier'], version: ['v1.0.0', 'v2.0.0', '2.0.0'] };
  const model = buildTestModel();

  const stats = { tried: 0, accepted: 0, rejected: 0, requestMs: 0, databaseMs: 0, byTarget: new Map<string, { tried: number; accepted: number; statuses: Map<number, number> }>() };
  const serverErrors = new Map<string, Finding>();
  const shapeProblems = new Map<string, Finding>();
  const leftovers = new Map<string, Finding>();

  const admin = () => ({ authorization: `Bearer ${t.tokens.admin}` });
  const send = (method: string, url: string, headers: Record<string, string>, payload?: unknown): Promise<Answer> => injectRequest(t.app, { method, url, headers, payload });

  beforeAll(async () => {
    t = await createTestApp({ SEED_EXAMPLE_MODELS: 'true', RATE_LIMIT_WRITES_PER_MINUTE: '0', METRICS_FLUSH_MS: '3600000' }, { onRoute: recorder.onRoute });
    schemas = new SchemaValues((await send('GET', '/docs-json', {})).json as OpenApiDocument);
    watcher = await DatabaseWatcher.connect(t.databaseUrl);

    // Things that exist, so generated requests reach real rows: tests in every status, predictions
    // and a conversation of one user.
    const completed = await createTest('intent_classifier');
    await send('POST', `/api/v1/ab-tests/${completed}/start`, admin());
    await send('POST', `/api/v1/ab-tests/${completed}/complete`, admin(), { winner: 'b' });
    const owner = { authorization: `Bearer ${t.tokens.user('fuzz-owner')}` };
    const checked = await send('POST', '/api/v1/safety/check', owner, { text: 'hello there' });
    const talk = await send('POST', '/api/v1/conversations/messages', owner, { text: 'I was charged twice this month' });
    expect([checked.status, talk.status]).toEqual([200, 201]);
    const conversation = talk.json as { conversation_id: string; intent_prediction_id: string | null };
    ids.prediction_id = [(checked.json as { prediction_id: string }).prediction_id, ...(conversation.intent_prediction_id ? [conversation.intent_prediction_id] : [])];
    ids.conversation_id = [conversation.conversation_id];
    await ensureFixtures();
  });

  afterAll(async () => {
    const perTarget = [...stats.byTarget.entries()].map(([route, s]) => `  ${route}: ${s.tried} tried, ${s.accepted} accepted, ${[...s.statuses.entries()].sort(([a], [b]) => a - b).map(([st, n]) => `${st}×${n}`).join(' ')}`);
    console.log(
      `[reliability] fuzz: ${stats.tried} inputs tried (${stats.accepted} accepted, ${stats.rejected} rejected) against ${stats.byTarget.size} targets ` +
        `(${Math.round(stats.requestMs)} ms answering, ${Math.round(stats.databaseMs)} ms checking the database); ` +
        `${serverErrors.size} 5xx kinds, ${shapeProblems.size} error-shape kinds, ${leftovers.size} leftover kinds\n${perTarget.join('\n')}`,
    );
    await watcher?.close();
    await t?.close();
  });

  async function createTest(modelType: string): Promise<string> {
    const res = await send('POST', '/api/v1/ab-tests', admin(), {
      name: `fuzz ${modelType}`,
      model_type: modelType,
      variant_a: 'v1.0.0',
      variant_b: 'v2.0.0',
      traffic_split: { a: 0.5, b: 0.5 },
    });
    expect(res.status, res.text).toBe(201);
    return (res.json as { test_id: string }).test_id;
  }

  /** A running safety test and a draft intent test, whatever the last target did to them. */
  async function ensureFixtures(): Promise<void> {
    // The last target may have promoted or archived the shipped versions: put v1.0.0 back in
    // production and v2.0.0 out of the archive, so both model types can serve and start tests.
    for (const type of ['safety_classifier', 'intent_classifier']) {
      for (const [version, stage] of [['v1.0.0', 'production'], ['v2.0.0', 'staging']] as const) {
        const [row] = (await t.dataSource.query(`SELECT stage FROM model_versions WHERE model_type = $1 AND version = $2`, [type, version])) as Array<{ stage: string }>;
        if (row?.stage === stage || (stage === 'staging' && row?.stage !== 'archived')) continue;
        const res = await send('POST', `/api/v1/models/${type}/versions/${version}/promote`, admin(), { stage });
        expect(res.status, res.text).toBe(200);
      }
    }
    const running = (await t.dataSource.query(`SELECT id FROM ab_tests WHERE model_type = 'safety_classifier' AND status IN ('active', 'paused')`)) as unknown[];
    if (running.length === 0) {
      const id = await createTest('safety_classifier');
      const started = await send('POST', `/api/v1/ab-tests/${id}/start`, admin());
      expect(started.status, started.text).toBe(200);
    }
    const drafts = (await t.dataSource.query(`SELECT id FROM ab_tests WHERE status = 'draft'`)) as unknown[];
    if (drafts.length === 0) await createTest('intent_classifier');
    // One test of every status (the draft one that can start, if any), the running one first.
    const tests = (await t.dataSource.query(
      `SELECT id FROM (SELECT DISTINCT ON (status) id::text AS id, status FROM ab_tests ORDER BY status, (model_type = 'intent_classifier') DESC, created_at DESC) s
        ORDER BY (status IN ('active', 'paused')) DESC`,
    )) as Array<{ id: string }>;
    ids.test_id = tests.map((row) => row.id);
    baseline = await watcher.settled();
  }

  function tokenFor(route: RouteKey): fc.Arbitrary<Record<string, string>> {
    const access = ROUTE_TABLE[route]!.access as readonly Role[];
    const tokens = access.flatMap((role) =>
      role === 'user' ? [t.tokens.user('fuzz-owner'), t.tokens.user('fuzz-user')] : role === 'service' ? [t.tokens.for('service', 'fuzz-service')] : [t.tokens.admin],
    );
    return fc.constantFrom(...tokens).map((token) => ({ authorization: `Bearer ${token}` }));
  }

  function bodyFor(route: RouteKey): fc.Arbitrary<{ payload?: string | Buffer; contentType?: string; sent: string[] }> {
    const operation = schemas.operation(methodOf(route), pathOf(route));
    const content = operation?.requestBody?.content ?? {};
    if (content['multipart/form-data']) return multipartFor();
    const schema = content['application/json']?.schema;
    const json = (value: fc.Arbitrary<unknown>) => value.map((v) => ({ payload: serializeBody(v), sent: stringsIn(v) }));
    const known = KNOWN_GOOD[route];
    const bodies = schema
      ? fc.oneof(
          { weight: known ? 2 : 0, arbitrary: json(known ?? fc.constant({})) },
          { weight: 3, arbitrary: json(schemas.value(schema, { valid: 19, nasty: 1 })) },
          { weight: 3, arbitrary: json(schemas.value(schema, { valid: 3, nasty: 1 })) },
          { weight: 2, arbitrary: json(schemas.value(schema, { valid: 1, nasty: 1 })) },
          { weight: 1, arbitrary: json(nastyValue) },
          { weight: 1, arbitrary: fc.constantFrom(...MALFORMED_JSON).map((raw) => ({ payload: raw, sent: [raw] })) },
        )
      : fc.oneof({ weight: 3, arbitrary: fc.constant({ sent: [] as string[] }) }, { weight: 1, arbitrary: json(nastyValue) });
    const contentType = fc.oneof(
      { weight: 14, arbitrary: fc.constant('application/json') },
      { weight: 1, arbitrary: fc.constantFrom('application/json; charset=utf-8', 'application/json; charset=utf-16', 'APPLICATION/JSON') },
      { weight: 1, arbitrary: fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'application/xml', 'multipart/form-data; boundary=x', '', 'application/octet-stream') },
    );
    return fc.tuple(bodies, contentType).map(([body, type]) => ('payload' in body ? { ...body, contentType: type } : body));
  }

  function multipartFor(): fc.Arbitrary<{ payload?: string | Buffer; contentType?: string; sent: string[] }> {
    const nastyText = fc.oneof(fc.constantFrom(...NASTY_STRINGS), nastyValue.map((v) => serializeBody(v)));
    const metadata = JSON.stringify(model.metadata);
    const part = (name: string, value: fc.Arbitrary<string | Buffer>, filename?: string) => fc.option(value.map((v): MultipartPart => ({ name, value: v, filename })), { freq: 4 });
    return fc
      .tuple(
        part('version', fc.oneof(fc.nat({ max: 1_000_000 }).map((n) => `v9.${n}.0`), nastyText)),
        part('format', fc.oneof(fc.constant('onnx'), nastyText)),
        part('stage', fc.oneof(fc.constantFrom('none', 'staging', 'production', 'archived'), nastyText)),
        part('metadata', fc.oneof(fc.constant(metadata), nastyText, schemas.value({ type: 'object', properties: { labels: { type: 'array', items: { type: 'string' } }, featurizer: { type: 'object' } } }, { valid: 1, nasty: 1 }).map((v) => serializeBody(v)))),
        part(
          'file',
          fc.oneof(
            fc.constant(model.bytes),
            fc.uint8Array({ maxLength: 2048 }).map((bytes) => Buffer.from(bytes)),
            fc.nat({ max: model.bytes.length }).map((n) => model.bytes.subarray(0, n)),
            fc.constant(Buffer.alloc(0)),
          ),
          'model.onnx',
        ),
        sometimes(fc.tuple(fc.constantFrom('file', 'metadata', 'extra', '__proto__', 'a'.repeat(300)), nastyText, fc.boolean()), 1 / 5),
      )
      .map(([version, format, stage, meta, file, extra]) => {
        const parts = [version, format, stage, meta, file].filter((p): p is MultipartPart => p !== null);
        if (extra) parts.push({ name: extra[0], value: extra[1], filename: extra[2] ? 'x.bin' : undefined });
        const { body, contentType } = multipartBody(parts);
        return { payload: body, contentType, sent: parts.flatMap((p) => [p.name, typeof p.value === 'string' ? p.value : '']) };
      });
  }

  function queryFor(route: RouteKey): fc.Arbitrary<{ raw: string; sent: string[] }> {
    const operation = schemas.operation(methodOf(route), pathOf(route));
    const known = (operation?.parameters ?? [])
      .filter((p) => p.in === 'query')
      .map((p) => ({ name: p.name, values: p.name === 'model_type' ? fc.oneof(fc.constantFrom(...ids.model_type!), nastyValue) : schemas.value(p.schema, { valid: 2, nasty: 1 }) }));
    const query = queryString(known);
    return isWrite(route) ? fc.oneof({ weight: 6, arbitrary: fc.constant({ raw: '', sent: [] as string[] }) }, { weight: 1, arbitrary: query }) : query;
  }

  function requestFor(route: RouteKey): fc.Arbitrary<FuzzRequest> {
    const names = [...pathOf(route).matchAll(/:(\w+)/g)].map((m) => m[1]!);
    const segments = fc.tuple(...names.map((name) => pathSegment(ids[name] ?? [])));
    return fc.tuple(segments, queryFor(route), bodyFor(route), tokenFor(route)).map(([values, query, body, auth]) => {
      let i = 0;
      const path = pathOf(route).replace(/:(\w+)/g, () => values[i++]!.raw);
      const headers: Record<string, string> = { ...auth };
      if (body.payload !== undefined && body.contentType) headers['content-type'] = body.contentType;
      return {
        method: methodOf(route),
        url: query.raw ? `${path}?${query.raw}` : path,
        headers,
        payload: body.payload,
        sent: [...values.map((v) => v.sent), ...query.sent, ...body.sent],
      };
    });
  }

  function note(findings: Map<string, Finding>, key: string, example: string): void {
    const finding = findings.get(key);
    if (finding) finding.count++;
    else findings.set(key, { count: 1, example: example.slice(0, 1500) });
  }

  async function tryOne(route: RouteKey, request: FuzzRequest): Promise<void> {
    const started = performance.now();
    const answer = await injectRequest(t.app, request);
    const answered = performance.now();
    stats.requestMs += answered - started;
    try {
      await judge(route, request, answer);
    } finally {
      stats.databaseMs += performance.now() - answered;
    }
  }

  async function judge(route: RouteKey, request: FuzzRequest, answer: Answer): Promise<void> {
    const target = stats.byTarget.get(route)!;
    stats.tried++;
    target.tried++;
    target.statuses.set(answer.status, (target.statuses.get(answer.status) ?? 0) + 1);
    const shown = () =>
      `${request.method} ${request.url.slice(0, 300)} ${typeof request.payload === 'string' ? request.payload.slice(0, 500) : request.payload ? `<${request.payload.length} bytes>` : ''} → ${answer.status} ${answer.text.slice(0, 400)}`;
    const code = (answer.json as { code?: string } | undefined)?.code ?? '';

    if (answer.status >= 500) note(serverErrors, `${route} → ${answer.status} ${code}`, shown());
    if (answer.status >= 400) {
      const { problems } = checkErrorAnswer(answer, request.sent);
      if (problems.length > 0) note(shapeProblems, `${route} → ${answer.status}: ${problems[0]!.replace(/:.*/, '')}`, `${problems.join('; ')} :: ${shown()}`);
    }
    if (answer.status < 400) {
      stats.accepted++;
      target.accepted++;
      if (answer.status !== 204 && answer.json === undefined && !request.url.includes('/artifact')) note(shapeProblems, `${route} → ${answer.status}: not JSON`, shown());
      baseline = await watcher.settled();
      return;
    }
    stats.rejected++;
    const after = await watcher.fingerprint();
    const changed = changedTables(baseline, after);
    if (changed.length > 0) {
      note(leftovers, `${route} → ${answer.status} ${code} changed ${changed.join(', ')}`, shown());
      baseline = await watcher.settled();
    }
  }

  it('the database watcher notices an insert, an update and a delete in any table', async () => {
    const before = await watcher.fingerprint();
    await t.dataSource.query(`INSERT INTO models (name, task) VALUES ('watcher_probe', 'x')`);
    const inserted = await watcher.fingerprint();
    expect(changedTables(before, inserted)).toEqual(['models']);
    await t.dataSource.query(`UPDATE models SET description = 'changed' WHERE name = 'watcher_probe'`);
    const updated = await watcher.fingerprint();
    expect(changedTables(inserted, updated)).toEqual(['models']);
    await t.dataSource.query(`DELETE FROM models WHERE name = 'watcher_probe'`);
    expect(changedTables(updated, await watcher.fingerprint())).toEqual(['models']);
    baseline = await watcher.settled();
  });

  it.for(TARGETS)('%s: no 5xx, the one error shape, nothing stored when rejected', async (route, ctx) => {
    const served = recorder.routes;
    if (!served.includes(route)) {
      ctx.skip(`${route} is not served yet`);
      return;
    }
    const targets = TARGETS.filter((r) => served.includes(r));
    const runs = Math.ceil(TOTAL_RUNS / targets.length);
    stats.byTarget.set(route, { tried: 0, accepted: 0, statuses: new Map() });
    await ensureFixtures();
    await fc.assert(
      fc.asyncProperty(requestFor(route), async (request) => {
        await tryOne(route, request);
      }),
      { numRuns: runs, ...(SEED === undefined ? {} : { seed: SEED }) },
    );
    const mine = (findings: Map<string, Finding>) => [...findings.entries()].filter(([key]) => key.startsWith(`${route} `)).map(([key, f]) => `${key} (×${f.count}): ${f.example}`);
    expect(mine(serverErrors), 'server errors').toEqual([]);
    expect(mine(shapeProblems), 'error answers not in the one shape, or leaking').toEqual([]);
    expect(mine(leftovers), 'rejected requests that changed the database').toEqual([]);
  });

  it('tried at least 10,000 inputs, and nothing polluted Object.prototype', () => {
    expect(stats.tried).toBeGreaterThanOrEqual(Math.min(10_000, TOTAL_RUNS));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
  });
});
